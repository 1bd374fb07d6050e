-- Requests for `bench/http-proxy.sh --mode hook`: three routes by host and path, in turn.
local reqs = {}
local i = 0

function init(args)
  reqs[1] = wrk.format("GET", "/api/v1/items?id=42", { ["Host"] = "api.example.com" })
  reqs[2] = wrk.format("GET", "/img/logo.png", { ["Host"] = "static.example.com" })
  reqs[3] = wrk.format("GET", "/", { ["Host"] = "www.example.com" })
end

function request()
  i = i % 3 + 1
  return reqs[i]
end
