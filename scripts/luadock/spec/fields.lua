-- luadock.spec.fields: the Engine's own container fields that run/create and
-- update accept under their snake_case names (readonly_rootfs, log_config,
-- cap_add, ...), taken from the v1.41 reference (definitions ContainerConfig
-- and HostConfig, HostConfig including Resources). Each entry says where the
-- field goes ("config" = the top level of the ContainerCreate body, "host" =
-- HostConfig), its Engine name and its JSON type, so values are checked
-- before anything is sent. Data only: no logic and no engine calls here.
-- Room spec/: option tables in, Engine request bodies out; a new run/create
-- option is a field here (fields.lua, or a converter in convert.lua wired in
-- options.lua); never calls the engine.

local M = {}

M.container = {
  -- ContainerConfig
  hostname = { "config", "Hostname", "string" },
  domainname = { "config", "Domainname", "string" },
  user = { "config", "User", "string" },
  attach_stdin = { "config", "AttachStdin", "boolean" },
  attach_stdout = { "config", "AttachStdout", "boolean" },
  attach_stderr = { "config", "AttachStderr", "boolean" },
  exposed_ports = { "config", "ExposedPorts", "object" },
  tty = { "config", "Tty", "boolean" },
  open_stdin = { "config", "OpenStdin", "boolean" },
  stdin_once = { "config", "StdinOnce", "boolean" },
  env = { "config", "Env", "array" },
  cmd = { "config", "Cmd", "array" },
  healthcheck = { "config", "Healthcheck", "object" },
  args_escaped = { "config", "ArgsEscaped", "boolean" },
  image = { "config", "Image", "string" },
  volumes = { "config", "Volumes", "object" },
  working_dir = { "config", "WorkingDir", "string" },
  entrypoint = { "config", "Entrypoint", "array" },
  network_disabled = { "config", "NetworkDisabled", "boolean" },
  mac_address = { "config", "MacAddress", "string" },
  on_build = { "config", "OnBuild", "array" },
  labels = { "config", "Labels", "object" },
  stop_signal = { "config", "StopSignal", "string" },
  stop_timeout = { "config", "StopTimeout", "integer" },
  shell = { "config", "Shell", "array" },
  -- HostConfig
  cpu_shares = { "host", "CpuShares", "integer" },
  memory = { "host", "Memory", "integer" },
  cgroup_parent = { "host", "CgroupParent", "string" },
  blkio_weight = { "host", "BlkioWeight", "integer" },
  blkio_weight_device = { "host", "BlkioWeightDevice", "array" },
  blkio_device_read_bps = { "host", "BlkioDeviceReadBps", "array" },
  blkio_device_write_bps = { "host", "BlkioDeviceWriteBps", "array" },
  blkio_device_read_iops = { "host", "BlkioDeviceReadIOps", "array" },
  blkio_device_write_iops = { "host", "BlkioDeviceWriteIOps", "array" },
  cpu_period = { "host", "CpuPeriod", "integer" },
  cpu_quota = { "host", "CpuQuota", "integer" },
  cpu_realtime_period = { "host", "CpuRealtimePeriod", "integer" },
  cpu_realtime_runtime = { "host", "CpuRealtimeRuntime", "integer" },
  cpuset_cpus = { "host", "CpusetCpus", "string" },
  cpuset_mems = { "host", "CpusetMems", "string" },
  devices = { "host", "Devices", "array" },
  device_cgroup_rules = { "host", "DeviceCgroupRules", "array" },
  device_requests = { "host", "DeviceRequests", "array" },
  kernel_memory = { "host", "KernelMemory", "integer" },
  kernel_memory_tcp = { "host", "KernelMemoryTCP", "integer" },
  memory_reservation = { "host", "MemoryReservation", "integer" },
  memory_swap = { "host", "MemorySwap", "integer" },
  memory_swappiness = { "host", "MemorySwappiness", "integer" },
  nano_cpus = { "host", "NanoCpus", "integer" },
  oom_kill_disable = { "host", "OomKillDisable", "boolean" },
  init = { "host", "Init", "boolean" },
  pids_limit = { "host", "PidsLimit", "integer" },
  ulimits = { "host", "Ulimits", "array" },
  cpu_count = { "host", "CpuCount", "integer" },
  cpu_percent = { "host", "CpuPercent", "integer" },
  io_maximum_iops = { "host", "IOMaximumIOps", "integer" },
  io_maximum_bandwidth = { "host", "IOMaximumBandwidth", "integer" },
  binds = { "host", "Binds", "array" },
  container_id_file = { "host", "ContainerIDFile", "string" },
  log_config = { "host", "LogConfig", "object" },
  network_mode = { "host", "NetworkMode", "string" },
  port_bindings = { "host", "PortBindings", "object" },
  restart_policy = { "host", "RestartPolicy", "object" },
  auto_remove = { "host", "AutoRemove", "boolean" },
  volume_driver = { "host", "VolumeDriver", "string" },
  volumes_from = { "host", "VolumesFrom", "array" },
  mounts = { "host", "Mounts", "array" },
  cap_add = { "host", "CapAdd", "array" },
  cap_drop = { "host", "CapDrop", "array" },
  cgroupns_mode = { "host", "CgroupnsMode", "string" },
  dns = { "host", "Dns", "array" },
  dns_options = { "host", "DnsOptions", "array" },
  dns_search = { "host", "DnsSearch", "array" },
  extra_hosts = { "host", "ExtraHosts", "array" },
  group_add = { "host", "GroupAdd", "array" },
  ipc_mode = { "host", "IpcMode", "string" },
  cgroup = { "host", "Cgroup", "string" },
  links = { "host", "Links", "array" },
  oom_score_adj = { "host", "OomScoreAdj", "integer" },
  pid_mode = { "host", "PidMode", "string" },
  privileged = { "host", "Privileged", "boolean" },
  publish_all_ports = { "host", "PublishAllPorts", "boolean" },
  readonly_rootfs = { "host", "ReadonlyRootfs", "boolean" },
  security_opt = { "host", "SecurityOpt", "array" },
  storage_opt = { "host", "StorageOpt", "object" },
  tmpfs = { "host", "Tmpfs", "object" },
  uts_mode = { "host", "UTSMode", "string" },
  userns_mode = { "host", "UsernsMode", "string" },
  shm_size = { "host", "ShmSize", "integer" },
  sysctls = { "host", "Sysctls", "object" },
  runtime = { "host", "Runtime", "string" },
  console_size = { "host", "ConsoleSize", "array" },
  isolation = { "host", "Isolation", "string" },
  masked_paths = { "host", "MaskedPaths", "array" },
  readonly_paths = { "host", "ReadonlyPaths", "array" },
  -- ContainerCreate body, beside the config
  networking_config = { "top", "NetworkingConfig", "object" },
}

-- Fields ContainerUpdate takes (Resources plus RestartPolicy).
M.update = {}
local resources = {
  "CpuShares", "Memory", "CgroupParent", "BlkioWeight", "BlkioWeightDevice",
  "BlkioDeviceReadBps", "BlkioDeviceWriteBps", "BlkioDeviceReadIOps",
  "BlkioDeviceWriteIOps", "CpuPeriod", "CpuQuota", "CpuRealtimePeriod",
  "CpuRealtimeRuntime", "CpusetCpus", "CpusetMems", "Devices",
  "DeviceCgroupRules", "DeviceRequests", "KernelMemory", "KernelMemoryTCP",
  "MemoryReservation", "MemorySwap", "MemorySwappiness", "NanoCpus",
  "OomKillDisable", "Init", "PidsLimit", "Ulimits", "CpuCount", "CpuPercent",
  "IOMaximumIOps", "IOMaximumBandwidth", "RestartPolicy",
}
local by_engine = {}
for snake, f in pairs(M.container) do by_engine[f[2]] = snake end
for _, name in ipairs(resources) do
  local snake = by_engine[name]
  M.update[snake] = M.container[snake]
end

-- Integer fields that also take a size string like "64m".
M.sizes = {
  Memory = true, MemoryReservation = true, MemorySwap = true, KernelMemory = true,
  KernelMemoryTCP = true, ShmSize = true, IOMaximumBandwidth = true,
}

-- String-array fields whose items may also be integer ids (group_add = { 1000,
-- "audio" }): Go's JSON decoder refuses a number in a []string with a 500, so
-- the ids are sent as their decimal text, as docker-py and the CLI do.
M.id_lists = { GroupAdd = true }

return M
