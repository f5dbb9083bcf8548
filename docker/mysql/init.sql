-- Runs once, as root, when the mysql container starts on an empty data volume (the image runs every file in
-- /docker-entrypoint-initdb.d/). On a volume that already holds data it does not run again: remove the volume
-- (`docker-compose down -v`) to start over.
--
-- By then the image has already created the application user from MYSQL_USER and MYSQL_PASSWORD
-- (docker-compose.yml). This file gives that user its three databases and nothing else: each subgraph owns one
-- database (DATABASE_NAMES in shared/defaults.ts), and the user may CREATE each of them because every subgraph
-- also creates its database at start-up when it is missing.

CREATE DATABASE IF NOT EXISTS `account` CHARACTER SET utf8mb4;
CREATE DATABASE IF NOT EXISTS `product` CHARACTER SET utf8mb4;
-- `order` is a reserved word in SQL, hence `orders`.
CREATE DATABASE IF NOT EXISTS `orders` CHARACTER SET utf8mb4;
-- The router's own small store: which schema coordinates operations use (for `npm run schema -- check`).
CREATE DATABASE IF NOT EXISTS `router` CHARACTER SET utf8mb4;

-- ALL on db.* covers CREATE (the database itself), and the DDL that migrations run (ALTER, INDEX, DROP,
-- REFERENCES), but no global privilege and nothing on any other database.
GRANT ALL PRIVILEGES ON `account`.* TO 'supergraph'@'%';
GRANT ALL PRIVILEGES ON `product`.* TO 'supergraph'@'%';
GRANT ALL PRIVILEGES ON `orders`.* TO 'supergraph'@'%';
GRANT ALL PRIVILEGES ON `router`.* TO 'supergraph'@'%';
