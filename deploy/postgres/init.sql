-- Runs once, when the postgres container initialises an empty data volume
-- (mounted into /docker-entrypoint-initdb.d by docker-compose.yml; psql 15 or newer).
--
-- 最小权限 (least privilege): one database per service (每个服务一个数据库), named <prefix><service>, owned by a
-- login role of the same name that may do nothing else: no superuser, no CREATEDB, no CREATEROLE, and no other
-- service's database (CONNECT is revoked from PUBLIC on each). The services run as these roles
-- (ONETHING_<SERVICE>_DATABASE_URL in docker-compose.yml), never as the server's superuser.
--
-- Variables: prefix (default onething_), and the roles' password from the environment variable
-- POSTGRES_SERVICE_PASSWORD (default onething: for development only). Checked by tests/integration/test_database_roles.py.
--   CREATE DATABASE "onething_intake"; CREATE DATABASE "onething_dispatch"; CREATE DATABASE "onething_licence";
--   CREATE DATABASE "onething_supervision"; CREATE DATABASE "onething_rating"; CREATE DATABASE "onething_gateway";
-- (what the statements below do, for the default prefix)

\set ON_ERROR_STOP on
\if :{?prefix}
\else
  \set prefix onething_
\endif
\getenv db_password POSTGRES_SERVICE_PASSWORD
\if :{?db_password}
\else
  \set db_password onething
\endif

CREATE TEMPORARY TABLE onething_service (name text PRIMARY KEY);
INSERT INTO onething_service VALUES ('intake'), ('dispatch'), ('licence'), ('supervision'), ('rating'), ('gateway');

SELECT format('CREATE ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD %L', :'prefix' || name,
              :'db_password')
FROM onething_service WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'prefix' || name) \gexec

SELECT format('CREATE DATABASE %I OWNER %I', :'prefix' || name, :'prefix' || name)
FROM onething_service WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'prefix' || name) \gexec

SELECT format('ALTER DATABASE %I OWNER TO %I', :'prefix' || name, :'prefix' || name) FROM onething_service \gexec
SELECT format('REVOKE ALL ON DATABASE %I FROM PUBLIC', :'prefix' || name) FROM onething_service \gexec
