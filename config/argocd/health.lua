-- Argo CD health for ecs.operator.dev objects: TaskDefinition, ECSService, ECSCluster,
-- CapacityProvider, ECSTask and ECSExpressService share one status shape (observedGeneration +
-- Ready/Synced/Progressing/Degraded conditions), so one script serves all six kinds. Lua 5.1
-- (Argo CD runs gopher-lua).
-- Order matters; the first rule that matches wins:
--   1. no status yet, or status older than the spec (observedGeneration) -> Progressing
--   2. Synced=False reason Terminal (retrying cannot fix it)           -> Degraded
--   3. Degraded=True (circuit breaker rolled back, tasks failing, ...)  -> Degraded
--   4. Ready=False with a failure reason (Conflict, InvalidSpec, ...)   -> Degraded
--   5. Ready=True                                                       -> Healthy
--   6. a deployment paused by a PAUSE hook (Progressing AwaitingApproval) -> Suspended,
--      Argo CD's own status for a paused rollout; approve or roll back with an annotation
--   7. spec.managementPolicy Observe (the operator never acts on it)    -> Suspended
--   8. spec.driftPolicy Report and Ready=False reason Drifted           -> Degraded
--   9. anything else (creating, rolling out, waiting, retrying)         -> Progressing
-- A rolled-back deployment (ROLLBACK_*, a failed or timed-out hook, an alarm) is Degraded=True
-- and so rule 3.
-- Ready=True is Healthy in Observe mode too: the real thing exists and matches.
-- An ECSTask (a PreSync/PostSync hook, for one) is Progressing while pending or running, Healthy
-- once it succeeded (Ready=True exactly when Complete=True) and Degraded once it failed
-- (Degraded=True with Failed=True: retries spent, deadline passed) or cannot start (Terminal).
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

local function result(status, message)
  hs.status = status
  hs.message = message
  return hs
end

local spec = obj.spec or {}
local status = obj.status
if status == nil or status.conditions == nil or #status.conditions == 0 then
  return result("Progressing", "Waiting for the operator to reconcile")
end
local generation = obj.metadata.generation
if generation ~= nil and (status.observedGeneration == nil or status.observedGeneration < generation) then
  return result("Progressing", "Waiting for the operator to observe generation " .. generation)
end

local ready = find(status.conditions, "Ready")
local synced = find(status.conditions, "Synced")
local degraded = find(status.conditions, "Degraded")
local progressing = find(status.conditions, "Progressing")

if synced ~= nil and synced.status == "False" and synced.reason == "Terminal" then
  return result("Degraded", describe(synced))
end
if degraded ~= nil and degraded.status == "True" then
  return result("Degraded", describe(degraded))
end
if ready ~= nil and ready.status == "False" and failure_reasons[ready.reason] then
  return result("Degraded", describe(ready))
end
if ready ~= nil and ready.status == "True" then
  return result("Healthy", describe(ready))
end
if progressing ~= nil and progressing.status == "True" and progressing.reason == "AwaitingApproval" then
  return result("Suspended", describe(progressing))
end
if spec.managementPolicy == "Observe" then
  local message = "managementPolicy Observe: the operator reports and never changes AWS"
  if ready ~= nil then
    message = message .. "; " .. describe(ready)
  end
  return result("Suspended", message)
end
if spec.driftPolicy == "Report" and ready ~= nil and ready.reason == "Drifted" then
  return result("Degraded", "driftPolicy Report: drift is recorded, not corrected; " .. describe(ready))
end

if progressing ~= nil and progressing.status == "True" then
  return result("Progressing", describe(progressing))
elseif synced ~= nil and synced.status == "False" then
  return result("Progressing", describe(synced))
elseif ready ~= nil then
  return result("Progressing", describe(ready))
end
return result("Progressing", "Waiting for the Ready condition")
