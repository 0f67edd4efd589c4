-- wrk: GET the live position of a random application (1..APPLICATIONS) with the education key.
local applications = tonumber(os.getenv("APPLICATIONS") or "20000")
local key = os.getenv("KEY")
math.randomseed(7)
request = function()
  local id = math.random(1, applications)
  return wrk.format("GET", "/v1/applications/" .. id .. "/position", {["Authorization"] = "Bearer " .. key})
end
