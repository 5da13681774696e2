//! Schema features on a small hand-written CRD, including ones the real CRDs do not exercise
//! in our objects.

use crd_schema::{LoadError, NoteKind, SchemaSet};
use serde_json::{Value, json};

const CRD: &str = r#"
apiVersion: v1
kind: ConfigMap
metadata: {name: not-a-crd}
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.dev}
spec:
  group: example.dev
  names: {kind: Widget, plural: widgets}
  scope: Namespaced
  versions:
    - name: v1alpha1
      served: false
      storage: false
      schema:
        openAPIV3Schema: {type: object}
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              required: [size, mode]
              properties:
                size: {type: integer, format: int32, minimum: 1, maximum: 10, exclusiveMaximum: true}
                mode: {type: string, default: fast, enum: [fast, slow]}
                port: {x-kubernetes-int-or-string: true, anyOf: [{type: integer}, {type: string}]}
                note: {type: string, nullable: true}
                ratio: {type: number, multipleOf: 0.5}
                tags:
                  type: array
                  minItems: 1
                  maxItems: 3
                  x-kubernetes-list-type: set
                  items: {type: string, minLength: 2, maxLength: 4}
                limits:
                  type: object
                  minProperties: 1
                  additionalProperties: {type: integer}
                closed:
                  type: object
                  additionalProperties: false
                  properties: {a: {type: string}}
                open:
                  type: object
                  additionalProperties: true
                free:
                  type: object
                  x-kubernetes-preserve-unknown-fields: true
                  properties: {known: {type: boolean}}
                lookahead: {type: string, pattern: "^(?=a)a+$"}
                when: {type: string, format: date-time}
                blob: {type: string, format: byte}
                mail: {type: string, format: email}
                odd: {type: string, x-made-up: 1}
                checked:
                  type: string
                  x-kubernetes-validations: [{rule: "self != 'x'", message: must not be x}]
                pair:
                  type: object
                  properties: {a: {type: string}, b: {type: string}}
                  allOf: [{not: {required: [a, b]}}]
                either:
                  type: object
                  properties: {a: {type: string}, b: {type: string}}
                  anyOf: [{required: [a]}, {required: [b]}]
"#;

fn schemas() -> SchemaSet {
    SchemaSet::from_yaml_str(CRD, "features").expect("test CRD loads")
}

fn widget(spec: Value) -> Value {
    json!({"apiVersion": "example.dev/v1", "kind": "Widget", "metadata": {"name": "w"}, "spec": spec})
}

/// The single error of validating `spec`, as `path: message`.
fn only_error(spec: Value) -> String {
    let errors = schemas()
        .validate(&widget(spec))
        .expect_err("expected an error");
    assert_eq!(errors.len(), 1, "{errors:?}");
    errors[0].to_string()
}

fn valid(spec: Value) {
    let result = schemas().validate(&widget(spec));
    assert_eq!(result, Ok(()));
}

#[test]
fn defaults_are_applied_before_required_is_checked() {
    valid(json!({"size": 3}));
    assert_eq!(
        only_error(json!({"mode": "slow"})),
        "spec.size: missing required field"
    );
}

#[test]
fn bounds_and_exclusive_bounds() {
    assert!(only_error(json!({"size": 0})).contains("must be >= 1"));
    assert!(only_error(json!({"size": 10})).contains("must be < 10"));
    valid(json!({"size": 9}));
    assert!(only_error(json!({"size": 2.5})).contains("expected integer, found number"));
    valid(json!({"size": 1, "ratio": 1.5}));
    assert!(only_error(json!({"size": 1, "ratio": 1.2})).contains("not a multiple of 0.5"));
}

#[test]
fn int_or_string() {
    valid(json!({"size": 1, "port": 80}));
    valid(json!({"size": 1, "port": "http"}));
    assert_eq!(
        only_error(json!({"size": 1, "port": true})),
        "spec.port: expected integer or string, found boolean"
    );
}

#[test]
fn nullable() {
    valid(json!({"size": 1, "note": null}));
    assert!(only_error(json!({"size": 1, "mode": null})).starts_with("spec.mode: null value"));
}

#[test]
fn arrays() {
    valid(json!({"size": 1, "tags": ["ab", "abcd"]}));
    assert!(only_error(json!({"size": 1, "tags": []})).contains("at least 1 items"));
    assert!(
        only_error(json!({"size": 1, "tags": ["ab", "ac", "ad", "ae"]}))
            .contains("at most 3 items")
    );
    assert!(
        only_error(json!({"size": 1, "tags": ["ab", "ab"]}))
            .starts_with("spec.tags[1]: duplicate value")
    );
    assert_eq!(
        only_error(json!({"size": 1, "tags": ["abcde"]})),
        "spec.tags[0]: may be at most 4 characters long, is 5"
    );
}

#[test]
fn additional_properties_and_preserved_fields() {
    valid(
        json!({"size": 1, "limits": {"cpu": 2}, "open": {"x": [1]}, "free": {"known": true, "y": 1}}),
    );
    assert_eq!(
        only_error(json!({"size": 1, "limits": {"cpu": "2"}})),
        "spec.limits.cpu: expected integer, found string"
    );
    assert!(only_error(json!({"size": 1, "limits": {}})).contains("at least 1 fields"));
    assert_eq!(
        only_error(json!({"size": 1, "closed": {"b": "x"}})),
        "spec.closed.b: unknown field (additionalProperties is false)"
    );
    assert!(
        only_error(json!({"size": 1, "free": {"known": 1}}))
            .starts_with("spec.free.known: expected boolean")
    );
}

#[test]
fn junctors() {
    valid(json!({"size": 1, "pair": {"a": "x"}, "either": {"b": "y"}}));
    assert_eq!(
        only_error(json!({"size": 1, "pair": {"a": "x", "b": "y"}})),
        "spec.pair: must not match: has a, b"
    );
    assert_eq!(
        only_error(json!({"size": 1, "either": {}})),
        "spec.either: must match at least one of: [0] has a; [1] has b"
    );
}

#[test]
fn formats() {
    valid(json!({"size": 1, "when": "2024-05-06T07:08:09Z", "blob": "aGk="}));
    assert!(
        only_error(json!({"size": 1, "when": "yesterday"})).contains("not a valid `date-time`")
    );
    assert!(only_error(json!({"size": 1, "blob": "a"})).contains("not a valid `byte`"));
}

#[test]
fn unchecked_features_become_notes() {
    let report = schemas().check(&widget(json!({
        "size": 1, "lookahead": "b", "mail": "x", "odd": "y", "checked": "x"
    })));
    assert!(report.is_valid(), "{:?}", report.errors);
    let has = |kind: NoteKind, path: &str, text: &str| {
        report
            .notes_of(kind)
            .any(|n| n.path == path && n.message.contains(text))
    };
    assert!(
        has(NoteKind::PatternNotCompiled, "spec.lookahead", "(?=a)"),
        "{:#?}",
        report.notes
    );
    assert!(has(NoteKind::FormatNotChecked, "spec.mail", "`email`"));
    assert!(has(NoteKind::KeywordNotChecked, "spec.odd", "`x-made-up`"));
    assert!(has(
        NoteKind::CelNotEvaluated,
        "spec.checked",
        "must not be x"
    ));
    assert_eq!(report.cel_rules_skipped(), 1);

    let set = schemas();
    assert_eq!(set.cel_rule_count(), 1);
    let kinds: Vec<NoteKind> = set.limitations().iter().map(|n| n.kind).collect();
    assert!(kinds.contains(&NoteKind::PatternNotCompiled), "{kinds:?}");
}

#[test]
fn versions() {
    let mut object = widget(json!({"size": 1}));
    object["apiVersion"] = json!("example.dev/v1alpha1");
    let errors = schemas().validate(&object).expect_err("not served");
    assert_eq!(
        errors[0].to_string(),
        "apiVersion: version v1alpha1 of widgets.example.dev is not served (served: v1)"
    );
}

#[test]
fn non_objects_are_rejected() {
    let errors = schemas().validate(&json!([1])).expect_err("not an object");
    assert_eq!(
        errors[0].to_string(),
        "<object>: expected a Kubernetes object, found array"
    );
}

#[test]
fn load_errors() {
    let none = SchemaSet::from_yaml_str("apiVersion: v1\nkind: ConfigMap\n", "cm");
    assert!(matches!(none, Err(LoadError::NoCrds { .. })));
    let twice = format!("{CRD}\n---\n{}", CRD.split("---").nth(1).expect("the CRD"));
    let Err(LoadError::Crd { message, .. }) = SchemaSet::from_yaml_str(&twice, "twice") else {
        panic!("a duplicate CRD must be refused");
    };
    assert!(
        message.contains("widgets.example.dev is defined twice"),
        "{message}"
    );
    let missing = SchemaSet::load_dir("/nonexistent/schemas");
    assert!(matches!(missing, Err(LoadError::Io { .. })));
    let empty: [&str; 0] = [];
    assert!(matches!(
        SchemaSet::load_dirs(empty),
        Err(LoadError::NoCrds { .. })
    ));
}

#[test]
fn several_directories_load_as_one_set() {
    let dirs = crd_schema::repo_schemas_dirs();
    let both = SchemaSet::load_dirs(&dirs).expect("the repository's CRDs load");
    let kinds = both.kinds();
    assert!(kinds.contains(&("uds.dev/v1alpha1".to_owned(), "Package".to_owned())));
    assert!(kinds.contains(&(
        "networking.istio.io/v1".to_owned(),
        "ServiceEntry".to_owned()
    )));
    // A CRD found in two of the directories is an error, as within one.
    let Err(LoadError::Crd { message, .. }) = SchemaSet::load_dirs([&dirs[1], &dirs[1]]) else {
        panic!("a CRD loaded twice must be refused");
    };
    assert!(
        message.contains("packages.uds.dev is defined twice"),
        "{message}"
    );
    let files = SchemaSet::load_files([crd_schema::package_crd()]).expect("the Package CRD loads");
    assert_eq!(
        files.kinds(),
        [("uds.dev/v1alpha1".to_owned(), "Package".to_owned())]
    );
}
