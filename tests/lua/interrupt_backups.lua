-- tests/lua/interrupt_backups.lua — the interruption matrix (tests/lua/_matrix.lua)
-- for backups: docker.backup with a `stop` service whose PID 1 ignores SIGTERM,
-- alone and as a schedule job that also holds a <close> container, interrupted
-- by SIGINT, SIGTERM and a double SIGINT every 0.2 s of its run; then kill -9 at
-- points of a backup, recovered by cleanup{ stale = true }.
local matrix = require "_matrix"

matrix.matrix{ "backup", "schedule" }
matrix.kill9_backup()
matrix.finish()
