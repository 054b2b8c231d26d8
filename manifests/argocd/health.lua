-- Argo CD health check for chaman.io ChamanSender and ChannelAccount (one script for both kinds).
-- Argo CD has no built-in health for custom kinds and does not read kstatus conditions on its own,
-- so without this script it shows these resources with no health at all.
-- Written for gopher-lua (Lua 5.1), as Argo CD runs it, and tested in it (test/tools/argocd-lua).
--
-- Order matters: paused, deleting and stale status first (old conditions say nothing about the
-- current spec), then the causes that need a person (Degraded), then work in progress.
local hs = {}

local function conditionsByType(status)
  local byType = {}
  if status ~= nil and status.conditions ~= nil then
    for _, c in ipairs(status.conditions) do
      if c.type ~= nil then byType[c.type] = c end
    end
  end
  return byType
end

local function describe(c, fallback)
  if c == nil then return fallback end
  local text = c.reason or fallback
  if c.message ~= nil and c.message ~= "" then text = text .. ": " .. c.message end
  return text
end

local metadata = obj.metadata or {}
local annotations = metadata.annotations or {}
local status = obj.status
local generation = metadata.generation
local conditions = conditionsByType(status)
local ready = conditions["Ready"]

local synced = conditions["Synced"]
local pausedInStatus = (synced ~= nil and synced.reason == "ReconcilePaused") or (ready ~= nil and ready.reason == "Paused")
if annotations["chaman.io/paused"] == "true" or pausedInStatus then
  hs.status = "Suspended"
  hs.message = "Paused by the annotation chaman.io/paused: the operator does not reconcile this resource"
  return hs
end

if metadata.deletionTimestamp ~= nil then
  hs.status = "Progressing"
  hs.message = describe(ready, "Deleting")
  return hs
end

if status == nil or ready == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to report status"
  return hs
end

if generation ~= nil then
  local observed = status.observedGeneration
  if observed == nil or observed < generation or (ready.observedGeneration ~= nil and ready.observedGeneration < generation) then
    hs.status = "Progressing"
    hs.message = "Waiting for the operator to observe generation " .. tostring(generation)
    return hs
  end
end

local function isTrue(t)
  return conditions[t] ~= nil and conditions[t].status == "True"
end

if isTrue("Invalid") then
  hs.status = "Degraded"
  hs.message = describe(conditions["Invalid"], "Invalid")
  return hs
end
if isTrue("Stalled") then
  hs.status = "Degraded"
  hs.message = describe(conditions["Stalled"], "Stalled")
  return hs
end
-- Ready=False reasons that no retry will fix: a person must act. Drifted is drift reported under
-- managementPolicy Observe (the operator never writes then).
local needsPerson = { AccessDenied = true, RequiresReplacement = true, Invalid = true, Stalled = true, Drifted = true }
if ready.status == "False" and needsPerson[ready.reason] then
  hs.status = "Degraded"
  hs.message = describe(ready, "NotReady")
  return hs
end
if isTrue("CertExpired") then
  hs.status = "Degraded"
  hs.message = describe(conditions["CertExpired"], "CertExpired")
  return hs
end

if isTrue("Reconciling") then
  hs.status = "Progressing"
  hs.message = describe(conditions["Reconciling"], "Reconciling")
  return hs
end

if ready.status == "True" then
  hs.status = "Healthy"
  if isTrue("CertExpiring") then
    hs.message = describe(conditions["CertExpiring"], "CertExpiring")
  else
    hs.message = describe(ready, "Ready")
  end
  return hs
end

-- Ready False (Creating, Updating, Deleting, SenderNotReady, BackendUnavailable) or Unknown:
-- the operator is working on it or retrying with backoff.
hs.status = "Progressing"
hs.message = describe(ready, "NotReady")
return hs
