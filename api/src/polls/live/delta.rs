//! Live protocol v2's `delta` frame: what changed between two renderings of a poll's results,
//! nested as the results are, so a watcher holding the first rendering can make the second.
//! Objects, and arrays of objects (as objects keyed by index), are followed down to what changed;
//! an array of numbers (counts) is sent whole; `shares` beside `counts` and `n` are left out,
//! since a watcher computes them exactly as the server does (`count / n`, 0 when n is 0: IEEE
//! division is the same in every language). A change that a delta cannot say (a key removed, an
//! array becoming an object) is no delta: the watcher is sent a snapshot instead.

use serde_json::{Map, Value};

/// The changes from `old` to `new`, or `None` when they need a snapshot.
pub(crate) fn diff(old: &Value, new: &Value) -> Option<Map<String, Value>> {
    match (old, new) {
        (Value::Object(old), Value::Object(new)) => diff_objects(old, new),
        _ => None,
    }
}

fn diff_objects(old: &Map<String, Value>, new: &Map<String, Value>) -> Option<Map<String, Value>> {
    if old.keys().any(|key| !new.contains_key(key)) {
        return None;
    }
    let derived_shares = has_derived_shares(new);
    let mut changes = Map::new();
    for (key, value) in new {
        if derived_shares && key == "shares" {
            continue;
        }
        match old.get(key) {
            Some(before) if before == value => {}
            Some(before) => {
                if let Some(change) = diff_value(before, value)? {
                    changes.insert(key.clone(), change);
                }
            }
            None => {
                changes.insert(key.clone(), value.clone());
            }
        }
    }
    Some(changes)
}

/// A changed value: the changes inside it, or the new value; `Some(None)` when nothing changed
/// that a watcher does not compute itself.
fn diff_value(old: &Value, new: &Value) -> Option<Option<Value>> {
    let changes = match (old, new) {
        (Value::Object(old), Value::Object(new)) => diff_objects(old, new)?,
        (Value::Array(old), Value::Array(new))
            if old.len() == new.len() && new.iter().all(|v| v.is_object() || v.is_array()) =>
        {
            let mut changes = Map::new();
            for (i, (before, value)) in old.iter().zip(new).enumerate() {
                if before != value
                    && let Some(change) = diff_value(before, value)?
                {
                    changes.insert(i.to_string(), change);
                }
            }
            changes
        }
        // An object is read as changes to what is there: an array cannot become one.
        (Value::Array(_), Value::Object(_)) => return None,
        _ => return Some(Some(new.clone())),
    };
    Some((!changes.is_empty()).then_some(Value::Object(changes)))
}

/// Whether an object's `shares` follow from its `counts` and `n` (a tally).
fn has_derived_shares(object: &Map<String, Value>) -> bool {
    ["counts", "n", "shares"].iter().all(|key| object.contains_key(*key))
}

/// Applies `changes` to `target` as a watcher does: an object of changes goes into the object
/// (or, keyed by index, the array) already there; anything else replaces the value; then every
/// tally's shares are computed from its counts. `false` when the changes do not fit `target`
/// (the watcher then needs a snapshot).
pub fn apply(target: &mut Value, changes: &Map<String, Value>) -> bool {
    apply_into(target, changes) && {
        derive_shares(target);
        true
    }
}

fn apply_into(target: &mut Value, changes: &Map<String, Value>) -> bool {
    for (key, change) in changes {
        let slot = match target {
            Value::Object(object) => object.get_mut(key),
            Value::Array(array) => match key.parse::<usize>().ok().and_then(|i| array.get_mut(i)) {
                Some(slot) => Some(slot),
                None => return false,
            },
            _ => return false,
        };
        match (slot, change) {
            (Some(slot @ (Value::Object(_) | Value::Array(_))), Value::Object(inner)) => {
                if !apply_into(slot, inner) {
                    return false;
                }
            }
            (Some(slot), change) => *slot = change.clone(),
            (None, change) => {
                if let Value::Object(object) = target {
                    object.insert(key.clone(), change.clone());
                }
            }
        }
    }
    true
}

#[allow(clippy::cast_precision_loss)] // counts are far below 2^52
fn derive_shares(value: &mut Value) {
    match value {
        Value::Object(object) => {
            if has_derived_shares(object)
                && let (Some(n), Some(counts)) = (object["n"].as_i64(), object["counts"].as_array())
            {
                let shares: Vec<Value> = counts
                    .iter()
                    .map(|c| Value::from(if n > 0 { c.as_i64().unwrap_or(0) as f64 / n as f64 } else { 0.0 }))
                    .collect();
                object.insert("shares".to_owned(), Value::Array(shares));
            }
            object.values_mut().for_each(derive_shares);
        }
        Value::Array(array) => array.iter_mut().for_each(derive_shares),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_vote_is_a_few_counts_and_applying_it_gives_the_new_results() {
        let old = json!({"respondents": 2, "questions": [
            {"var_name": "pid3", "overall": {"n": 2, "counts": [1, 1], "shares": [0.5, 0.5]}, "groups": []},
            {"var_name": "a/b~c", "overall": {"n": 2, "counts": [2, 0], "shares": [1.0, 0.0]},
             "national": {"n": 900, "shares": [0.25, 0.75]}}
        ]});
        let new = json!({"respondents": 3, "questions": [
            {"var_name": "pid3", "overall": {"n": 3, "counts": [1, 2], "shares": [1.0 / 3.0, 2.0 / 3.0]}, "groups": []},
            {"var_name": "a/b~c", "overall": {"n": 2, "counts": [2, 0], "shares": [1.0, 0.0]},
             "national": {"n": 900, "shares": [0.25, 0.75]}}
        ]});
        let changes = diff(&old, &new).unwrap();
        assert_eq!(
            Value::Object(changes.clone()),
            json!({"respondents": 3, "questions": {"0": {"overall": {"n": 3, "counts": [1, 2]}}}})
        );
        let mut held = old.clone();
        assert!(apply(&mut held, &changes));
        assert_eq!(held, new);
        assert_eq!(diff(&new, &new), Some(Map::new()));
    }

    #[test]
    fn new_keys_and_lists_are_sent_whole_and_what_a_delta_cannot_say_is_a_snapshot() {
        let old = json!({"a": {"b": 1}, "list": [1, 2], "rows": [{"x": 1}]});
        let new = json!({"a": {"b": 2}, "list": [1, 2, 3], "added": {"c": true}, "rows": [{"x": 1}, {"x": 2}]});
        let changes = diff(&old, &new).unwrap();
        assert_eq!(
            Value::Object(changes.clone()),
            json!({"a": {"b": 2}, "list": [1, 2, 3], "added": {"c": true}, "rows": [{"x": 1}, {"x": 2}]})
        );
        let mut held = old.clone();
        assert!(apply(&mut held, &changes));
        assert_eq!(held, new);
        assert_eq!(diff(&json!({"gone": 1, "kept": 1}), &json!({"kept": 1})), None);
        assert_eq!(diff(&json!({"q": [{"a": 1}]}), &json!({"q": {"a": 1}})), None);
        assert_eq!(diff(&json!([1]), &json!([2])), None);
        let mut elsewhere = json!({"rows": [{"x": 1}]});
        assert!(!apply(&mut elsewhere, &Map::from_iter([("rows".to_owned(), json!({"3": {"x": 2}}))])));
    }
}
