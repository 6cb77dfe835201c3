//! Hand-written SQL with typed binds, run on the connection's own backend, which writes the
//! placeholders (`?`, `$1`).
//!
//! diesel never caches an upsert, a multi-row `INSERT` of a `Vec` or an `sql_query`, so
//! PostgreSQL parsed and planned each of a submission's four such statements on every call
//! (about 0.1 ms of its CPU apiece). diesel's statement cache keys a `Statement` by its text, so
//! each shape (a nine-answer insert, say) is prepared on first use and reused after — unless it
//! is marked `uncached`, for shapes that follow the data (an `IN` list per unit).

use super::{DbConnection, DbError};
use diesel::backend::Backend;
use diesel::deserialize::QueryableByName;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::serialize::ToSql;
use diesel::sql_types::{BigInt, Double, Integer, Text, Untyped};
use diesel::{QueryResult, RunQueryDsl};

#[derive(Debug, Clone, Copy)]
pub enum Value<'a> {
    Int(i32),
    BigInt(i64),
    Double(f64),
    Text(&'a str),
}

#[derive(Debug, Clone, Copy)]
enum Part<'a> {
    Sql(&'static str),
    Bind(Value<'a>),
}

/// SQL text and bound values in order; the text holds no placeholders of its own. The text is
/// `'static`: every statement diesel keeps prepared comes from the program, never from data, so
/// the cache stays as small as the program's statements (a multi-row `VALUES` adds one per row
/// count).
#[derive(Debug, Default)]
pub struct Statement<'a> {
    parts: Vec<Part<'a>>,
    uncached: bool,
}

impl<'a> Statement<'a> {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn sql(&mut self, sql: &'static str) -> &mut Self {
        self.parts.push(Part::Sql(sql));
        self
    }

    pub fn bind(&mut self, value: Value<'a>) -> &mut Self {
        self.parts.push(Part::Bind(value));
        self
    }

    /// `v1, v2, …`: the values of an `IN (…)` or of one row.
    pub fn list(&mut self, values: impl IntoIterator<Item = Value<'a>>) -> &mut Self {
        for (i, value) in values.into_iter().enumerate() {
            if i > 0 {
                self.sql(", ");
            }
            self.bind(value);
        }
        self
    }

    /// `(v1, v2, …)` for each row, separated by commas: the rows of a multi-row `VALUES`.
    pub fn rows<const N: usize>(&mut self, rows: impl IntoIterator<Item = [Value<'a>; N]>) -> &mut Self {
        for (i, row) in rows.into_iter().enumerate() {
            self.sql(if i == 0 { "(" } else { ", (" }).list(row).sql(")");
        }
        self
    }

    /// Never prepared for reuse: for statements whose shape follows the data (how many units an
    /// `IN` list holds), which would fill diesel's cache with one-offs.
    pub fn uncached(&mut self) -> &mut Self {
        self.uncached = true;
        self
    }

    /// Runs the statement on the connection's own backend (a multi-row `VALUES` does not compile
    /// through the MultiConnection itself). It is taken out of `self`, which is left empty.
    pub fn execute(&mut self, conn: &mut DbConnection) -> Result<usize, DbError> {
        let statement = std::mem::take(self);
        Ok(match conn {
            DbConnection::Sqlite(c) => RunQueryDsl::execute(statement, c)?,
            DbConnection::Postgres(c) => RunQueryDsl::execute(statement, c)?,
        })
    }

    /// The rows the statement returns, as `execute` runs it.
    pub fn load<T>(&mut self, conn: &mut DbConnection) -> Result<Vec<T>, DbError>
    where
        T: QueryableByName<diesel::pg::Pg> + QueryableByName<diesel::sqlite::Sqlite> + 'static,
    {
        let statement = std::mem::take(self);
        Ok(match conn {
            DbConnection::Sqlite(c) => RunQueryDsl::load(statement, c)?,
            DbConnection::Postgres(c) => RunQueryDsl::load(statement, c)?,
        })
    }

    /// The first row the statement returns (`NotFound` without one), as `load` reads it.
    pub fn get_result<T>(&mut self, conn: &mut DbConnection) -> Result<T, DbError>
    where
        T: QueryableByName<diesel::pg::Pg> + QueryableByName<diesel::sqlite::Sqlite> + 'static,
    {
        self.load(conn)?.into_iter().next().ok_or(DbError::NotFound)
    }
}

impl<DB> QueryFragment<DB> for Statement<'_>
where
    DB: Backend
        + diesel::sql_types::HasSqlType<Integer>
        + diesel::sql_types::HasSqlType<BigInt>
        + diesel::sql_types::HasSqlType<Double>
        + diesel::sql_types::HasSqlType<Text>,
    i32: ToSql<Integer, DB>,
    i64: ToSql<BigInt, DB>,
    f64: ToSql<Double, DB>,
    str: ToSql<Text, DB>,
{
    // Unlike `sql_query`, only an `uncached` statement is marked unsafe to cache.
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        if self.uncached {
            out.unsafe_to_cache_prepared();
        }
        for part in &self.parts {
            match part {
                Part::Sql(sql) => out.push_sql(sql),
                Part::Bind(Value::Int(v)) => out.push_bind_param::<Integer, _>(v)?,
                Part::Bind(Value::BigInt(v)) => out.push_bind_param::<BigInt, _>(v)?,
                Part::Bind(Value::Double(v)) => out.push_bind_param::<Double, _>(v)?,
                Part::Bind(Value::Text(v)) => out.push_bind_param::<Text, str>(v)?,
            }
        }
        Ok(())
    }
}

impl QueryId for Statement<'_> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl Query for Statement<'_> {
    type SqlType = Untyped;
}

impl<Conn> RunQueryDsl<Conn> for Statement<'_> {}

#[cfg(test)]
mod tests {
    use super::*;
    use diesel::connection::{Connection, SimpleConnection};
    use diesel::sqlite::SqliteConnection;

    #[derive(QueryableByName, Debug, PartialEq)]
    struct Row {
        #[diesel(sql_type = Integer)]
        a: i32,
        #[diesel(sql_type = Text)]
        b: String,
    }

    #[test]
    fn binds_land_in_order_and_rows_expand() {
        let mut conn = DbConnection::Sqlite(SqliteConnection::establish(":memory:").expect("sqlite"));
        conn.batch_execute("CREATE TABLE t (a INTEGER NOT NULL, b TEXT NOT NULL, c BIGINT, d DOUBLE)").expect("table");
        let mut insert = Statement::new();
        insert.sql("INSERT INTO t (a, b, c, d) VALUES ").rows([
            [Value::Int(1), Value::Text("x"), Value::BigInt(1 << 40), Value::Double(0.5)],
            [Value::Int(2), Value::Text("y'); DROP TABLE t; --"), Value::BigInt(-1), Value::Double(2.0)],
        ]);
        assert_eq!(insert.execute(&mut conn).expect("insert"), 2);
        let mut select = Statement::new();
        select.sql("SELECT a, b FROM t WHERE c = ").bind(Value::BigInt(-1)).sql(" AND d > ").bind(Value::Double(1.5));
        let row: Row = select.get_result(&mut conn).expect("select");
        assert_eq!(row, Row { a: 2, b: "y'); DROP TABLE t; --".into() });
        let mut listed = Statement::new();
        listed
            .sql("SELECT a, b FROM t WHERE a IN (")
            .list([Value::Int(2), Value::Int(1)])
            .sql(") ORDER BY a")
            .uncached();
        let rows: Vec<Row> = listed.load(&mut conn).expect("load");
        assert_eq!(rows.iter().map(|r| r.a).collect::<Vec<_>>(), [1, 2]);
    }
}
