-- luadock.credentials: a public module name (API.md: its .timeout and
-- .max_output) kept after registry credentials moved into the image room;
-- it is image/credentials.lua itself, so setting a field here sets it there.
-- Add nothing here: new code goes in image/credentials.lua.
return require "luadock.image.credentials"
