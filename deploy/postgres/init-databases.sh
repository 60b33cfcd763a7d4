#!/bin/sh
# Runs once when the PostgreSQL volume is new: one role and one database per service.
set -eu
for svc in handover eligibility notifications; do
  var="$(echo "${svc}_DB_PASSWORD" | tr '[:lower:]' '[:upper:]')"
  password="$(printenv "$var" || true)"
  : "${password:?$var must be set}"
  psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
    -v svc="$svc" -v password="$password" <<'SQL'
CREATE ROLE :"svc" LOGIN PASSWORD :'password';
CREATE DATABASE :"svc" OWNER :"svc";
SQL
done
