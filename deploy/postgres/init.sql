-- Runs once, when the postgres container initialises an empty data volume
-- (mounted into /docker-entrypoint-initdb.d by docker-compose.yml).
-- One database per service (每个服务一个数据库), named <database_prefix><service> = onething_<service>.
-- The services also create their database when it is missing, so this file is a convenience only.
CREATE DATABASE onething_intake;
CREATE DATABASE onething_dispatch;
CREATE DATABASE onething_licence;
CREATE DATABASE onething_supervision;
CREATE DATABASE onething_rating;
CREATE DATABASE onething_gateway;
