-- wrk: GET the live position of a random application of the city's history (its locality 1: numbers
-- 1000001..1000000+APPLICATIONS, docs/domain.md "Country-wide numbers") with the education key.
local applications = tonumber(os.getenv("APPLICATIONS") or "20000")
local locality = tonumber(os.getenv("LOCALITY") or "1")
local key = os.getenv("KEY")
math.randomseed(7)
request = function()
  local id = locality * 1000000 + math.random(1, applications)
  return wrk.format("GET", "/v1/applications/" .. id .. "/position", {["Authorization"] = "Bearer " .. key})
end
