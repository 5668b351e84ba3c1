-- luadock.pretty: a public module name (README: `-l pp=luadock.pretty`) kept
-- after the Lua-value printer moved into the text room; it is
-- text/pretty.lua itself. Add nothing here: new code goes in text/pretty.lua.
return require "luadock.text.pretty"
