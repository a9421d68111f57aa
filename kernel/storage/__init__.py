"""Storage: the sqlmodel tables (`models`, extending the `domain` types), the database engine and
its one unit of work (`db`), and the queries the service and the stages share (`crud`)."""
