//! Live protocol v2's `delta` frame: what changed between two renderings of a poll's results, as
//! JSON Pointers (RFC 6901) to their new values, so a watcher holding the first rendering can
//! make the second. Objects and arrays of objects are followed down to what changed; an array
//! of numbers (counts) is sent whole; `shares` beside `counts` and `n` are left out, since a
//! watcher computes them exactly as the server does (`count / n`, 0 when n is 0: IEEE division
//! is the same in every language). A change that a delta cannot say (a key removed, a type
//! changed at the top) is no delta: the watcher is sent a snapshot instead.

use serde_json::{Map, Value};

/// The changes from `old` to `new` (pointer → new value), or `None` when they need a snapshot.
pub fn diff(old: &Value, new: &Value) -> Option<Map<String, Value>> {
    let mut changes = Map::new();
    match (old, new) {
        (Value::Object(_), Value::Object(_)) => diff_into(old, new, &mut String::new(), &mut changes)?,
        _ => return None,
    }
    Some(changes)
}

fn diff_into(old: &Value, new: &Value, path: &mut String, changes: &mut Map<String, Value>) -> Option<()> {
    if old == new {
        return Some(());
    }
    match (old, new) {
        (Value::Object(old), Value::Object(new)) => {
            if old.keys().any(|key| !new.contains_key(key)) {
                return None;
            }
            let derived_shares = has_derived_shares(new);
            for (key, value) in new {
                if derived_shares && key == "shares" {
                    continue;
                }
                let length = path.len();
                path.push('/');
                push_escaped(path, key);
                match old.get(key) {
                    Some(before) => diff_into(before, value, path, changes)?,
                    None => {
                        changes.insert(path.clone(), value.clone());
                    }
                }
                path.truncate(length);
            }
        }
        (Value::Array(old), Value::Array(new))
            if old.len() == new.len() && new.iter().all(|v| v.is_object() || v.is_array()) =>
        {
            for (i, (before, value)) in old.iter().zip(new).enumerate() {
                let length = path.len();
                path.push('/');
                path.push_str(&i.to_string());
                diff_into(before, value, path, changes)?;
                path.truncate(length);
            }
        }
        _ => {
            changes.insert(path.clone(), new.clone());
        }
    }
    Some(())
}

/// Whether an object's `shares` follow from its `counts` and `n` (a tally).
fn has_derived_shares(object: &Map<String, Value>) -> bool {
    ["counts", "n", "shares"].iter().all(|key| object.contains_key(*key))
}

fn push_escaped(path: &mut String, key: &str) {
    for c in key.chars() {
        match c {
            '~' => path.push_str("~0"),
            '/' => path.push_str("~1"),
            c => path.push(c),
        }
    }
}

/// Applies `changes` to `target` as a watcher does: each pointer's value set (its parent must
/// exist), then every tally's shares computed from its counts. `false` when a pointer does not
/// fit `target` (the watcher then needs a snapshot).
pub fn apply(target: &mut Value, changes: &Map<String, Value>) -> bool {
    for (pointer, value) in changes {
        let Some((parent, last)) = pointer.rsplit_once('/') else { return false };
        let key = last.replace("~1", "/").replace("~0", "~");
        match target.pointer_mut(parent) {
            Some(Value::Object(object)) => {
                object.insert(key, value.clone());
            }
            Some(Value::Array(array)) => match key.parse::<usize>().ok().and_then(|i| array.get_mut(i)) {
                Some(slot) => *slot = value.clone(),
                None => return false,
            },
            _ => return false,
        }
    }
    derive_shares(target);
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
            json!({"/respondents": 3, "/questions/0/overall/n": 3, "/questions/0/overall/counts": [1, 2]})
        );
        let mut held = old.clone();
        assert!(apply(&mut held, &changes));
        assert_eq!(held, new);
    }

    #[test]
    fn keys_are_escaped_and_what_a_delta_cannot_say_is_a_snapshot() {
        let old = json!({"a/b": {"~": 1}, "list": [1, 2]});
        let new = json!({"a/b": {"~": 2}, "list": [1, 2, 3], "added": true});
        let changes = diff(&old, &new).unwrap();
        assert_eq!(Value::Object(changes.clone()), json!({"/a~1b/~0": 2, "/list": [1, 2, 3], "/added": true}));
        let mut held = old.clone();
        assert!(apply(&mut held, &changes));
        assert_eq!(held, new);
        assert_eq!(diff(&json!({"gone": 1, "kept": 1}), &json!({"kept": 1})), None);
        assert_eq!(diff(&json!([1]), &json!([2])), None);
        let mut elsewhere = json!({"other": 1});
        assert!(!apply(&mut elsewhere, &Map::from_iter([("/missing/x".to_owned(), json!(1))])));
    }
}
