# routers are added by kehu.api.endpoints
