-- One database per service (no service reads another's): created on the first start of the postgres container.
CREATE DATABASE auth;
CREATE DATABASE resume;
CREATE DATABASE jobs;
CREATE DATABASE notify;
CREATE DATABASE signing;
CREATE DATABASE counseling;
