-- Runs an Argo CD health script the way Argo CD does: the resource as the global `obj`, the
-- script's returned table as the health. Usage: lua argocd-harness.lua OBJECT.lua SCRIPT.lua
-- OBJECT.lua is `return { ... }` (the test turns the JSON object into a Lua table literal).
-- Prints the status and the message on two lines.
local objectFile, scriptFile = arg[1], arg[2]
obj = dofile(objectFile)
local hs = dofile(scriptFile)
if type(hs) ~= "table" then
  error("the health script returned " .. type(hs) .. ", not a table")
end
io.write(tostring(hs.status), "\n", tostring(hs.message), "\n")
