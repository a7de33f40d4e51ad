-- wrk script for mixed.txt: cycles /ok, /boom and /slow on each connection, so one run has
-- 2xx, non-2xx (500) responses and, with --timeout 1s, socket timeouts (/slow?ms=1500 answers after 1.5 s).
local paths = { "/ok", "/boom", "/slow?ms=1500" }
local i = 0
request = function()
  i = i % #paths + 1
  return wrk.format("GET", paths[i])
end
