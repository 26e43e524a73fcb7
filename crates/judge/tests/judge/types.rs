//! The lake's `friction_types` view (sql/views/friction_types.sql), which the
//! stages' SQL cross joins, lists exactly the judge's types, in spec order.

use signals_judge::FrictionType;
use signals_lake::Lake;

#[tokio::test]
async fn the_friction_types_view_is_the_judges_types() {
    let lake = Lake::open("memory://types").unwrap();
    let ctx = lake.session_context().await.unwrap();
    let batches = ctx
        .sql("SELECT friction_type FROM friction_types ORDER BY ord")
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    let mut got = Vec::new();
    for b in &batches {
        got.extend(
            signals_lake::string_column(b, "friction_type")
                .unwrap()
                .into_iter()
                .flatten(),
        );
    }
    let want: Vec<String> = FrictionType::ALL
        .iter()
        .map(|t| t.id().to_string())
        .collect();
    assert_eq!(got, want);
}
