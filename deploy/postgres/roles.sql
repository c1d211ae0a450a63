-- Least privilege for Witzo on PostgreSQL. Run as a superuser once:
--   psql -v witzo_password="'…'" -f roles.sql
-- `witzo_owner` owns the schema and runs migrations (`witzo migrate`, in
-- the web unit's ExecStartPre); `witzo_app` is what serve and worker use
-- day to day: read and write rows, never change the schema.
CREATE ROLE witzo_owner NOLOGIN;
CREATE ROLE witzo_app LOGIN PASSWORD :witzo_password;
CREATE DATABASE witzo OWNER witzo_owner;
\connect witzo
REVOKE ALL ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO witzo_app;
ALTER DEFAULT PRIVILEGES FOR ROLE witzo_owner IN SCHEMA public
    GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO witzo_app;
ALTER DEFAULT PRIVILEGES FOR ROLE witzo_owner IN SCHEMA public
    GRANT USAGE, SELECT ON SEQUENCES TO witzo_app;
-- Migrations run as the owner: a login role that is a member of it.
CREATE ROLE witzo_migrate LOGIN PASSWORD :witzo_password IN ROLE witzo_owner;
ALTER ROLE witzo_migrate SET role = 'witzo_owner';
-- In pg_hba.conf, only from the application hosts, with scram-sha-256:
--   hostssl witzo witzo_app     10.0.0.0/24 scram-sha-256
--   hostssl witzo witzo_migrate 10.0.0.0/24 scram-sha-256
