-- Argo CD health for ecs.operator.dev objects: TaskDefinition, ECSService, ECSCluster and
-- CapacityProvider share one status shape (observedGeneration + Ready/Synced/Progressing/
-- Degraded conditions), so one script serves all four kinds. Lua 5.1 (Argo CD runs gopher-lua).
-- Order matters; the first rule that matches wins:
--   1. no status yet, or status older than the spec (observedGeneration) -> Progressing
--   2. Synced=False reason Terminal (retrying cannot fix it)           -> Degraded
--   3. Degraded=True (circuit breaker rolled back, tasks failing, ...)  -> Degraded
--   4. Ready=False with a failure reason (Conflict, InvalidSpec, ...)   -> Degraded
--   5. Ready=True                                                       -> Healthy
--   6. spec.managementPolicy Observe (the operator never acts on it)    -> Suspended
--   7. spec.driftPolicy Report and Ready=False reason Drifted           -> Degraded
--   8. anything else (creating, rolling out, waiting, retrying)         -> Progressing
-- Ready=True is Healthy in Observe mode too: the real thing exists and matches.
local hs = {}

local failure_reasons = {
  AwsRejected = true,
  Conflict = true,
  Failed = true,
  InvalidObject = true,
  InvalidSpec = true,
  RequiresReplacement = true,
  RolledBack = true,
  RolloutFailed = true,
  UpdateFailed = true,
}

local function find(conditions, type_)
  for _, c in ipairs(conditions) do
    if c.type == type_ then
      return c
    end
  end
  return nil
end

local function describe(c)
  local text = c.type .. "=" .. c.status
  if c.reason ~= nil and c.reason ~= "" then
    text = text .. " (" .. c.reason .. ")"
  end
  if c.message ~= nil and c.message ~= "" then
    text = text .. ": " .. c.message
  end
  return text
end

local spec = obj.spec or {}
local status = obj.status
if status == nil or status.conditions == nil or #status.conditions == 0 then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to reconcile"
  return hs
end
local generation = obj.metadata.generation
if generation ~= nil and (status.observedGeneration == nil or status.observedGeneration < generation) then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to observe generation " .. generation
  return hs
end

local ready = find(status.conditions, "Ready")
local synced = find(status.conditions, "Synced")
local degraded = find(status.conditions, "Degraded")
local progressing = find(status.conditions, "Progressing")

if synced ~= nil and synced.status == "False" and synced.reason == "Terminal" then
  hs.status = "Degraded"
  hs.message = describe(synced)
  return hs
end
if degraded ~= nil and degraded.status == "True" then
  hs.status = "Degraded"
  hs.message = describe(degraded)
  return hs
end
if ready ~= nil and ready.status == "False" and failure_reasons[ready.reason] then
  hs.status = "Degraded"
  hs.message = describe(ready)
  return hs
end
if ready ~= nil and ready.status == "True" then
  hs.status = "Healthy"
  hs.message = describe(ready)
  return hs
end
if spec.managementPolicy == "Observe" then
  hs.status = "Suspended"
  hs.message = "managementPolicy Observe: the operator reports and never changes AWS"
  if ready ~= nil then
    hs.message = hs.message .. "; " .. describe(ready)
  end
  return hs
end
if spec.driftPolicy == "Report" and ready ~= nil and ready.reason == "Drifted" then
  hs.status = "Degraded"
  hs.message = "driftPolicy Report: drift is recorded, not corrected; " .. describe(ready)
  return hs
end

hs.status = "Progressing"
if progressing ~= nil and progressing.status == "True" then
  hs.message = describe(progressing)
elseif synced ~= nil and synced.status == "False" then
  hs.message = describe(synced)
elseif ready ~= nil then
  hs.message = describe(ready)
else
  hs.message = "Waiting for the Ready condition"
end
return hs
