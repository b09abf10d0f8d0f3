//! `uniqueString`, `guid` and `newGuid`.
//!
//! Both deterministic functions reproduce Azure's algorithms (see
//! `docs/decisions/0003-unique-string-and-guid.md`), so that names computed
//! here are the names Azure gives:
//!
//! - `uniqueString(a, b, ...)`: the arguments joined with `-`, UTF-8 encoded,
//!   hashed with Azure's 64-bit MurmurHash variant (two 32-bit lanes, seed 0),
//!   written as 13 characters of lower-case base32
//!   (`abcdefghijklmnopqrstuvwxyz234567`), five bits at a time from the top.
//! - `guid(a, b, ...)`: a name-based UUID version 5 (SHA-1, RFC 4122) of the
//!   arguments joined with `-`, in the namespace
//!   `11fb06fb-712d-4ddd-98c7-e71bbd588830`.

use super::args::str_arg;
use super::{limits, Call};
use aml_model::value::Value;
use uuid::Uuid;

/// The namespace of ARM's `guid()` function.
pub const GUID_NAMESPACE: Uuid = Uuid::from_u128(0x11fb06fb_712d_4ddd_98c7_e71bbd588830);

const BASE32: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";

/// Azure's `uniqueString()` of already-joined parts: 13 lower-case base32
/// characters of a 64-bit MurmurHash variant of the UTF-8 bytes.
pub fn unique_string(parts: &[&str]) -> String {
    let mut hash = murmur_hash64(parts.join("-").as_bytes());
    let mut out = String::with_capacity(13);
    for _ in 0..13 {
        out.push(char::from(BASE32[(hash >> 59) as usize]));
        hash <<= 5;
    }
    out
}

/// Azure's `guid()`: UUID v5 of the parts joined with `-` in [`GUID_NAMESPACE`].
pub fn guid(parts: &[&str]) -> String {
    Uuid::new_v5(&GUID_NAMESPACE, parts.join("-").as_bytes())
        .hyphenated()
        .to_string()
}

/// The 64-bit MurmurHash variant Azure uses (two 32-bit lanes mixed
/// together, little-endian blocks of eight bytes, seed 0).
fn murmur_hash64(data: &[u8]) -> u64 {
    const C1: u32 = 0x239b_961b; // 597399067
    const C2: u32 = 0xab0e_9789; // 2869860233
    let word = |b: &[u8]| {
        b.iter()
            .rev()
            .fold(0u32, |acc, &x| (acc << 8) | u32::from(x))
    };
    let (mut h1, mut h2) = (0u32, 0u32);
    let mut blocks = data.chunks_exact(8);
    for block in &mut blocks {
        let k1 = word(&block[..4])
            .wrapping_mul(C1)
            .rotate_left(15)
            .wrapping_mul(C2);
        h1 = (h1 ^ k1)
            .rotate_left(19)
            .wrapping_add(h2)
            .wrapping_mul(5)
            .wrapping_add(0x561c_cd1b);
        let k2 = word(&block[4..])
            .wrapping_mul(C2)
            .rotate_left(17)
            .wrapping_mul(C1);
        h2 = (h2 ^ k2)
            .rotate_left(13)
            .wrapping_add(h1)
            .wrapping_mul(5)
            .wrapping_add(0x0bca_a747);
    }
    let tail = blocks.remainder();
    if !tail.is_empty() {
        let k1 = word(&tail[..tail.len().min(4)])
            .wrapping_mul(C1)
            .rotate_left(15)
            .wrapping_mul(C2);
        h1 ^= k1;
        if tail.len() > 4 {
            let k2 = word(&tail[4..])
                .wrapping_mul(C2)
                .rotate_left(17)
                .wrapping_mul(C1);
            h2 ^= k2;
        }
    }
    // Lengths above 4 GiB cannot reach here (inputs are capped); truncation is Azure's.
    let len = data.len() as u32;
    h1 ^= len;
    h2 ^= len;
    h1 = h1.wrapping_add(h2);
    h2 = h2.wrapping_add(h1);
    let fmix = |mut h: u32| {
        h ^= h >> 16;
        h = h.wrapping_mul(0x85eb_ca6b);
        h ^= h >> 13;
        h = h.wrapping_mul(0xc2b2_ae35);
        h ^ (h >> 16)
    };
    h1 = fmix(h1);
    h2 = fmix(h2);
    h1 = h1.wrapping_add(h2);
    h2 = h2.wrapping_add(h1);
    (u64::from(h2) << 32) | u64::from(h1)
}

fn string_parts(args: &[Value]) -> Result<Vec<&str>, String> {
    args.iter()
        .enumerate()
        .map(|(i, a)| str_arg(a, i))
        .collect()
}

pub(crate) fn unique_string_fn(_: &Call<'_>, args: Vec<Value>) -> Result<Value, String> {
    let parts = string_parts(&args)?;
    let chars = parts.iter().map(|p| p.chars().count()).sum::<usize>() + parts.len() - 1;
    if chars > limits::MAX_UNIQUE_STRING_INPUT {
        return Err(format!(
            "the joined input is {chars} characters long, more than Azure's limit of {}",
            limits::MAX_UNIQUE_STRING_INPUT
        ));
    }
    Ok(Value::String(unique_string(&parts)))
}

pub(crate) fn guid_fn(_: &Call<'_>, args: Vec<Value>) -> Result<Value, String> {
    Ok(Value::String(guid(&string_parts(&args)?)))
}

/// `newGuid()`: a new value on every deployment, so unknown.
pub(crate) fn new_guid(call: &Call<'_>, _: Vec<Value>) -> Result<Value, String> {
    Ok(call.unknown("newGuid() returns a new value on every deployment"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::test_env::{eval, eval_err, TestEnv};

    /// Outputs of Azure's own `uniqueString()`, published with public
    /// re-implementations (see the decision record).
    #[test]
    fn unique_string_matches_azure() {
        let cases: &[(&[&str], &str)] = &[
            (&["test"], "rbgf3xv4ufgzg"),
            (&["hello", "world"], "a7wkljktk6wne"),
            (&["abc"], "cgtzqvhu4i23s"),
            (
                &["/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/my-rg"],
                "bmg7c6xu4tw46",
            ),
            (&["foo", "bar", "baz"], "xzi4ioaxtmth4"),
            // 63 bytes: exercises the second lane of the tail.
            (
                &[
                    "/subscriptions/00000000-0000-0000-0000-000000000000",
                    "resource-id",
                ],
                "cwvxuqg24sifi",
            ),
        ];
        for (parts, expected) in cases {
            assert_eq!(unique_string(parts), *expected, "{parts:?}");
        }
    }

    #[test]
    fn unique_string_shape_for_all_tail_lengths() {
        let alphabet = "abcdefghijklmnopqrstuvwxyz234567";
        for len in 0..40 {
            let s = unique_string(&["x".repeat(len).as_str()]);
            assert_eq!(s.len(), 13);
            assert!(s.chars().all(|c| alphabet.contains(c)), "{s}");
        }
        assert_ne!(unique_string(&["a"]), unique_string(&["A"]));
        assert_eq!(unique_string(&["a", "b"]), unique_string(&["a-b"]));
    }

    #[test]
    fn unique_string_function() {
        assert_eq!(eval("[uniqueString('test')]"), Value::str("rbgf3xv4ufgzg"));
        assert_eq!(
            eval("[uniqueString('hello', 'world')]"),
            Value::str("a7wkljktk6wne")
        );
        let mut env = TestEnv::new();
        env.ctx.resource_group = "my-rg".to_string();
        let id = env.eval("[uniqueString(resourceGroup().id)]");
        assert_eq!(id, Value::str("bmg7c6xu4tw46"));
        assert!(eval_err("[uniqueString(1)]")
            .message
            .contains("must be a string"));
        let env = TestEnv::new().var(
            "s",
            Value::str("x".repeat(limits::MAX_UNIQUE_STRING_INPUT + 1)),
        );
        assert!(env
            .eval_err("[uniqueString(variables('s'))]")
            .message
            .contains("limit"));
        let env = TestEnv::new().unknown_param("u");
        assert!(env
            .eval("[uniqueString(resourceGroup().id, parameters('u'))]")
            .is_unknown());
    }

    #[test]
    fn guid_is_uuid_v5_in_the_arm_namespace() {
        let g = guid(&["a", "b"]);
        assert_eq!(g, Uuid::new_v5(&GUID_NAMESPACE, b"a-b").to_string());
        assert_eq!(g.len(), 36);
        assert_eq!(&g[14..15], "5", "version 5");
        assert!(
            matches!(&g[19..20], "8" | "9" | "a" | "b"),
            "RFC 4122 variant"
        );
        assert_eq!(
            GUID_NAMESPACE.to_string(),
            "11fb06fb-712d-4ddd-98c7-e71bbd588830"
        );
        assert_eq!(eval("[guid('a', 'b')]"), Value::String(g));
        // Cross-checked with Python's uuid.uuid5 (an independent implementation).
        assert_eq!(guid(&["a", "b"]), "2d796349-8c7e-55ec-9624-54ece82ed031");
        assert_eq!(
            eval("[guid(resourceGroup().id, 'principal', 'b24988ac-6180-42a0-ab88-20f7382dd24c')]"),
            Value::str("25bba62f-7c4f-5b60-afdf-3d68f3d9ae92")
        );
        assert_eq!(eval("[guid('x')]"), eval("[guid('x')]"));
        assert_ne!(eval("[guid('x')]"), eval("[guid('X')]"));
    }

    #[test]
    fn new_guid_is_unknown() {
        assert!(eval("[newGuid()]").is_unknown());
    }
}
