//! Pretty-printed JSON written piece by piece, byte for byte as
//! `serde_json::to_writer_pretty` writes the whole value, so that a large
//! list (the report's results, SARIF's results) is serialised in parallel,
//! a window of entries at a time, and written in order without the whole
//! document ever existing as one value or one string (issue 20, decision 0049).

use rayon::prelude::*;
use serde::Serialize;
use serde_json::ser::Formatter;
use std::io::{self, Write};

/// Entries serialised by one task: enough to amortise the task, few enough
/// for the threads to share a window evenly.
const CHUNK: usize = 64;

/// The buffer a renderer writes through: small writes (keys, separators,
/// the report's head) are gathered, and a piece [`in_order`] made (a chunk's
/// entries, tens of kilobytes) goes straight to the output uncopied. With
/// 64 KiB, most pieces were copied into the buffer first: every byte of a
/// large report once more (decision 0065).
pub(crate) const WRITE_BUFFER: usize = 1 << 13;

/// Entries serialised before their bytes are written: bounds what is held
/// at once (a few megabytes) whatever the report's size.
const WINDOW: usize = 32 * CHUNK;

/// Writes `value` as `to_writer_pretty` would write it nested `level`
/// arrays or objects deep (its inner lines indented by `level` more steps).
pub(crate) fn pretty_at<W: Write + ?Sized, T: Serialize + ?Sized>(
    out: &mut W,
    level: usize,
    value: &T,
) -> io::Result<()> {
    let formatter = Pretty {
        level,
        has_value: false,
    };
    let mut serializer = serde_json::Serializer::with_formatter(out, formatter);
    value.serialize(&mut serializer).map_err(io::Error::from)
}

/// serde_json's `PrettyFormatter` (two spaces a level) starting `level`
/// deep, writing each indentation at once rather than a write per level.
struct Pretty {
    level: usize,
    has_value: bool,
}

impl Formatter for Pretty {
    fn begin_array<W: Write + ?Sized>(&mut self, out: &mut W) -> io::Result<()> {
        self.level += 1;
        self.has_value = false;
        out.write_all(b"[")
    }

    fn end_array<W: Write + ?Sized>(&mut self, out: &mut W) -> io::Result<()> {
        self.level -= 1;
        if self.has_value {
            newline(out, self.level)?;
        }
        out.write_all(b"]")
    }

    fn begin_array_value<W: Write + ?Sized>(&mut self, out: &mut W, first: bool) -> io::Result<()> {
        if !first {
            out.write_all(b",")?;
        }
        newline(out, self.level)
    }

    fn end_array_value<W: Write + ?Sized>(&mut self, _out: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }

    fn begin_object<W: Write + ?Sized>(&mut self, out: &mut W) -> io::Result<()> {
        self.level += 1;
        self.has_value = false;
        out.write_all(b"{")
    }

    fn end_object<W: Write + ?Sized>(&mut self, out: &mut W) -> io::Result<()> {
        self.level -= 1;
        if self.has_value {
            newline(out, self.level)?;
        }
        out.write_all(b"}")
    }

    fn begin_object_key<W: Write + ?Sized>(&mut self, out: &mut W, first: bool) -> io::Result<()> {
        if !first {
            out.write_all(b",")?;
        }
        newline(out, self.level)
    }

    fn begin_object_value<W: Write + ?Sized>(&mut self, out: &mut W) -> io::Result<()> {
        out.write_all(b": ")
    }

    fn end_object_value<W: Write + ?Sized>(&mut self, _out: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }
}

/// A line break and the indentation of `level` steps of two spaces, in
/// one write when it fits (it does up to 31 levels).
fn newline<W: Write + ?Sized>(out: &mut W, level: usize) -> io::Result<()> {
    const LINE: &[u8; 64] = b"\n                                                               ";
    match LINE.get(..1 + 2 * level) {
        Some(line) => out.write_all(line),
        None => {
            out.write_all(b"\n")?;
            indent(out, level)
        }
    }
}

/// The pretty printer's indentation: `level` steps of two spaces.
fn indent<W: Write + ?Sized>(out: &mut W, level: usize) -> io::Result<()> {
    const SPACES: &[u8] = &[b' '; 64];
    let mut n = 2 * level;
    while n > 0 {
        let step = n.min(SPACES.len());
        out.write_all(&SPACES[..step])?;
        n -= step;
    }
    Ok(())
}

/// How a value is written: compact (as `serde_json::to_writer`, for a
/// hash of the content) or pretty, so many containers deep.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Layout {
    Compact,
    Pretty(usize),
}

impl Layout {
    /// One container deeper.
    pub(crate) fn deeper(self) -> Layout {
        match self {
            Layout::Compact => Layout::Compact,
            Layout::Pretty(level) => Layout::Pretty(level + 1),
        }
    }

    /// Writes `value` laid out so.
    pub(crate) fn write<W: Write + ?Sized, T: Serialize + ?Sized>(
        self,
        out: &mut W,
        value: &T,
    ) -> io::Result<()> {
        match self {
            Layout::Compact => serde_json::to_writer(out, value).map_err(io::Error::from),
            Layout::Pretty(level) => pretty_at(out, level, value),
        }
    }

    /// What precedes a member or an entry that is not the first: a comma,
    /// then, pretty, a new line indented one level deeper.
    pub(crate) fn separator<W: Write + ?Sized>(self, out: &mut W) -> io::Result<()> {
        out.write_all(b",")?;
        self.opening(out)
    }

    /// What precedes the first member or entry: pretty, a new line
    /// indented one level deeper.
    pub(crate) fn opening<W: Write + ?Sized>(self, out: &mut W) -> io::Result<()> {
        match self {
            Layout::Compact => Ok(()),
            Layout::Pretty(level) => newline(out, level + 1),
        }
    }

    /// What precedes the closing bracket of a container that is not empty.
    pub(crate) fn closing<W: Write + ?Sized>(self, out: &mut W) -> io::Result<()> {
        match self {
            Layout::Compact => Ok(()),
            Layout::Pretty(level) => newline(out, level),
        }
    }
}

/// A JSON object written one member at a time.
pub(crate) struct Object<'w, W: Write + ?Sized> {
    out: &'w mut W,
    layout: Layout,
    empty: bool,
}

impl<'w, W: Write + ?Sized> Object<'w, W> {
    /// Opens the object.
    pub(crate) fn begin(out: &'w mut W, layout: Layout) -> io::Result<Self> {
        out.write_all(b"{")?;
        Ok(Object {
            out,
            layout,
            empty: true,
        })
    }

    fn key(&mut self, key: &str) -> io::Result<()> {
        if self.empty {
            self.layout.opening(self.out)?;
        } else {
            self.layout.separator(self.out)?;
        }
        serde_json::to_writer(&mut *self.out, key)?;
        self.empty = false;
        self.out.write_all(match self.layout {
            Layout::Compact => b":",
            Layout::Pretty(_) => b": ",
        })
    }

    /// A member holding `value`.
    pub(crate) fn field<T: Serialize + ?Sized>(&mut self, key: &str, value: &T) -> io::Result<()> {
        self.key(key)?;
        self.layout.deeper().write(self.out, value)
    }

    /// A member that `value` writes, laid out as it is given.
    pub(crate) fn member(
        &mut self,
        key: &str,
        value: impl FnOnce(&mut W, Layout) -> io::Result<()>,
    ) -> io::Result<()> {
        self.key(key)?;
        value(self.out, self.layout.deeper())
    }

    /// A member holding the array of `items`, in parallel and in order:
    /// pretty-printed by `pretty` (a hand-written writer of serde's bytes,
    /// given the depth), compact by serde.
    pub(crate) fn items_pretty_by<T: Serialize + Sync>(
        &mut self,
        key: &str,
        items: &[T],
        pretty: fn(&mut Vec<u8>, usize, &T) -> io::Result<()>,
    ) -> io::Result<()> {
        self.items_by(key, items, |buf, layout, item| match layout {
            Layout::Pretty(level) => pretty(buf, level, item),
            Layout::Compact => layout.write(buf, item),
        })
    }

    /// A member holding the array of `items`, each written by `write` laid
    /// out as it is given, in parallel and in order.
    pub(crate) fn items_by<T: Sync>(
        &mut self,
        key: &str,
        items: &[T],
        write: impl Fn(&mut Vec<u8>, Layout, &T) -> io::Result<()> + Sync,
    ) -> io::Result<()> {
        self.key(key)?;
        array_by(
            self.out,
            self.layout.deeper(),
            items,
            |buf, layout, item| write(buf, layout, item).map(|()| true),
        )
    }

    /// A member holding the array of `entry` of each of `items` that has
    /// one, made and serialised in parallel and written in order.
    pub(crate) fn array<T, V>(
        &mut self,
        key: &str,
        items: &[T],
        entry: impl Fn(&T) -> Option<V> + Sync,
    ) -> io::Result<()>
    where
        T: Sync,
        V: Serialize,
    {
        self.key(key)?;
        array(self.out, self.layout.deeper(), items, entry)
    }

    /// A member holding an array of one value, which `value` writes laid
    /// out as it is given.
    pub(crate) fn single(
        &mut self,
        key: &str,
        value: impl FnOnce(&mut W, Layout) -> io::Result<()>,
    ) -> io::Result<()> {
        self.key(key)?;
        let layout = self.layout.deeper();
        self.out.write_all(b"[")?;
        layout.opening(self.out)?;
        value(self.out, layout.deeper())?;
        layout.closing(self.out)?;
        self.out.write_all(b"]")
    }

    /// Closes the object.
    pub(crate) fn end(self) -> io::Result<()> {
        if !self.empty {
            self.layout.closing(self.out)?;
        }
        self.out.write_all(b"}")
    }
}

/// The array, laid out as `layout` says, of `entry` of each of `items`
/// that has one, made and serialised in parallel and written in order.
pub(crate) fn array<W, T, V>(
    out: &mut W,
    layout: Layout,
    items: &[T],
    entry: impl Fn(&T) -> Option<V> + Sync,
) -> io::Result<()>
where
    W: Write + ?Sized,
    T: Sync,
    V: Serialize,
{
    array_by(out, layout, items, |buf, layout, item| match entry(item) {
        Some(value) => layout.write(buf, &value).map(|()| true),
        None => Ok(false),
    })
}

/// An array laid out as `layout` says of what `entry` writes for each of
/// `items` (laid out as it is given), leaving out those it returns false
/// for.
fn array_by<W, T>(
    out: &mut W,
    layout: Layout,
    items: &[T],
    entry: impl Fn(&mut Vec<u8>, Layout, &T) -> io::Result<bool> + Sync,
) -> io::Result<()>
where
    W: Write + ?Sized,
    T: Sync,
{
    out.write_all(b"[")?;
    let mut written = false;
    // Every entry is preceded by its separator (a comma first); the first
    // written drops the comma.
    let one = |buf: &mut Vec<u8>, item: &T| -> io::Result<()> {
        let mark = buf.len();
        layout.separator(buf)?;
        if !entry(buf, layout.deeper(), item)? {
            buf.truncate(mark);
        }
        Ok(())
    };
    in_order(items, one, |piece| {
        let piece = if written { piece } else { &piece[1..] };
        written = true;
        out.write_all(piece)
    })?;
    if written {
        layout.closing(out)?;
    }
    out.write_all(b"]")
}

/// Writes the text `each` makes of every one of `items`: made in parallel,
/// a window at a time, and written in order.
pub(crate) fn texts_in_order<T: Sync, W: Write + ?Sized>(
    items: &[T],
    each: impl Fn(&T, &mut String) + Sync,
    out: &mut W,
) -> io::Result<()> {
    let one = |buf: &mut Vec<u8>, item: &T| {
        let mut text = String::new();
        each(item, &mut text);
        buf.extend_from_slice(text.as_bytes());
        Ok(())
    };
    in_order(items, one, |piece| out.write_all(piece))
}

/// Renders `items` in parallel, a window at a time, each chunk into a
/// buffer of its own by `one`, and hands every buffer that is not empty to
/// `write` in the items' order.
///
/// A thread of its own renders the windows while this one writes them, one
/// window ahead at most: the writes (a copy into the kernel's page cache,
/// 0.17 s for the 633 MB of a 100,000-resource live export) no longer leave
/// the renderers idle, and what is held stays two windows.
pub(crate) fn in_order<T: Sync>(
    items: &[T],
    one: impl Fn(&mut Vec<u8>, &T) -> io::Result<()> + Sync,
    mut write: impl FnMut(&[u8]) -> io::Result<()>,
) -> io::Result<()> {
    // A chunk's buffer starts as large as the last chunk made (plus an
    // eighth, at most 1 MiB, so that one huge entry does not size every
    // buffer after it): chunks are alike in size, and growing each from
    // empty copied its bytes a dozen times over.
    let size_hint = std::sync::atomic::AtomicUsize::new(0);
    let render = |window: &[T]| -> io::Result<Vec<Vec<u8>>> {
        window
            .par_chunks(CHUNK)
            .map(|chunk| {
                let hint = size_hint.load(std::sync::atomic::Ordering::Relaxed);
                let mut buf = Vec::with_capacity(hint);
                for item in chunk {
                    one(&mut buf, item)?;
                }
                size_hint.store(
                    (buf.len() + buf.len() / 8).min(1 << 20),
                    std::sync::atomic::Ordering::Relaxed,
                );
                Ok(buf)
            })
            .collect()
    };
    if items.len() <= WINDOW {
        return render(items)?
            .iter()
            .filter(|piece| !piece.is_empty())
            .try_for_each(|piece| write(piece));
    }
    let (send, receive) = std::sync::mpsc::sync_channel::<io::Result<Vec<Vec<u8>>>>(1);
    std::thread::scope(|scope| {
        scope.spawn(move || {
            for window in items.chunks(WINDOW) {
                let pieces = render(window);
                let failed = pieces.is_err();
                // The writer stopped (an error): nothing more is wanted.
                if send.send(pieces).is_err() || failed {
                    break;
                }
            }
        });
        // On the first error the receiver is dropped, which stops the
        // renderer at its next window.
        for pieces in receive {
            pieces?
                .iter()
                .filter(|piece| !piece.is_empty())
                .try_for_each(|piece| write(piece))?;
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn compact_objects_are_serde_json_compact() {
        let items: Vec<u32> = (0..2 * WINDOW as u32 + 3).collect();
        let mut out = Vec::new();
        let mut o = Object::begin(&mut out, Layout::Compact).unwrap();
        o.field("a", &json!({ "b": [1, {}], "c": "d\"" })).unwrap();
        o.array("odd", &items, |i| (i % 2 == 1).then_some(*i))
            .unwrap();
        o.array("none", &items, |_| None::<u32>).unwrap();
        o.single("one", |out, layout| layout.write(out, &json!([])))
            .unwrap();
        o.member("m", |out, layout| {
            let mut inner = Object::begin(out, layout)?;
            inner.items_by("all", &items[..2], |buf, layout, i| layout.write(buf, i))?;
            inner.end()
        })
        .unwrap();
        o.end().unwrap();
        let odd: Vec<u32> = items.iter().copied().filter(|i| i % 2 == 1).collect();
        let expected = json!({
            "a": { "b": [1, {}], "c": "d\"" },
            "odd": odd,
            "none": [],
            "one": [[]],
            "m": { "all": [0, 1] },
        });
        assert_eq!(String::from_utf8(out).unwrap(), expected.to_string());
    }

    #[test]
    fn a_failed_write_stops_the_rendering_and_is_returned() {
        let items: Vec<u32> = (0..10 * WINDOW as u32).collect();
        let rendered = std::sync::atomic::AtomicUsize::new(0);
        let mut writes = 0;
        let outcome = in_order(
            &items,
            |buf, i| {
                rendered.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                buf.extend_from_slice(i.to_string().as_bytes());
                Ok(())
            },
            |_| {
                writes += 1;
                match writes {
                    40 => Err(io::Error::other("disk full")),
                    _ => Ok(()),
                }
            },
        );
        assert_eq!(outcome.unwrap_err().to_string(), "disk full");
        assert_eq!(writes, 40, "no write after the failed one");
        // The renderer stops within two windows of the failure (the first
        // window's 32 pieces and 8 of the second were written).
        let rendered = rendered.into_inner();
        assert!(rendered <= 4 * WINDOW, "{rendered} entries rendered");
        // A failed rendering is returned too.
        let failed = in_order(
            &items,
            |_, i| match *i == 3 * WINDOW as u32 {
                true => Err(io::Error::other("no")),
                false => Ok(()),
            },
            |_| Ok(()),
        );
        assert_eq!(failed.unwrap_err().to_string(), "no");
    }

    #[test]
    fn deep_values_are_indented_as_serde_json_does() {
        let mut deep = json!({ "leaf": ["a", 1, null, {}, []] });
        for i in 0..40 {
            deep = if i % 2 == 0 {
                json!([deep, i])
            } else {
                json!({ "k": deep, "e": {} })
            };
        }
        let mut out = Vec::new();
        pretty_at(&mut out, 0, &deep).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            serde_json::to_string_pretty(&deep).unwrap()
        );
    }

    #[test]
    fn pieces_are_the_bytes_of_the_whole() {
        let items: Vec<serde_json::Value> = (0..3 * WINDOW + 5)
            .map(|i| json!({ "i": i, "nested": { "list": [i, [], {}], "s": "a\"b\n" } }))
            .collect();
        // keep: every entry whose index is a multiple (0: none).
        for (level, keep) in [(0, 1), (0, 7), (2, 1), (1, 0), (3, 1_000_000)] {
            let kept = |v: &serde_json::Value| {
                let i = v["i"].as_u64().unwrap() as usize;
                keep != 0 && i % keep == 0
            };
            let mut out = Vec::new();
            let mut o = Object::begin(&mut out, Layout::Pretty(level)).unwrap();
            o.field("head", &json!({ "x": [1, 2] })).unwrap();
            o.array("items", &items, |v| kept(v).then(|| v.clone()))
                .unwrap();
            o.items_by("all", &items[..3], |buf, layout, v| layout.write(buf, v))
                .unwrap();
            o.single("one", |out, layout| layout.write(out, &json!({ "y": [] })))
                .unwrap();
            o.field("empty", &json!([])).unwrap();
            o.end().unwrap();
            let list: Vec<_> = items.iter().filter(|v| kept(v)).cloned().collect();
            let mut expected = json!({
                "head": { "x": [1, 2] },
                "items": list,
                "all": items[..3],
                "one": [{ "y": [] }],
                "empty": [],
            });
            for _ in 0..level {
                expected = json!([expected]);
            }
            // The object as it is written `level` arrays deep.
            let expected = serde_json::to_string_pretty(&expected).unwrap();
            let start = expected.find('{').unwrap();
            let got = String::from_utf8(out).unwrap();
            assert!(
                expected[start..].starts_with(&got),
                "level {level}, keep {keep}"
            );
            let rest = &expected[start + got.len()..];
            assert_eq!(rest.trim_start_matches(['\n', ' ', ']']), "");
        }
    }
}
