-- wrk script: GET /livez about 50 times a second per connection (a 20 ms pause before each
-- request), the low-rate probe of the abuse benchmark.
wrk.method = "GET"
wrk.path = "/livez"

function delay()
  return 20
end
