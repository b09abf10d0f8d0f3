//! Positions: LSP counts UTF-16 code units from 0, reports count characters
//! (Unicode scalar values) from 1, fix edits count bytes. A [`LineIndex`]
//! converts between them for one text.

use lsp_types::Position;

/// The line starts of a text, for position conversions.
pub struct LineIndex<'a> {
    text: &'a str,
    starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    /// Indexes `text`.
    pub fn new(text: &'a str) -> LineIndex<'a> {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { text, starts }
    }

    /// The text of 0-based `line`, without its line break.
    pub fn line(&self, line: usize) -> &'a str {
        let Some(&start) = self.starts.get(line) else {
            return "";
        };
        let end = self.starts.get(line + 1).map_or(self.text.len(), |e| e - 1);
        self.text[start..end.max(start)].trim_end_matches('\r')
    }

    /// The number of lines.
    pub fn lines(&self) -> usize {
        self.starts.len()
    }

    /// The LSP position of a report's 1-based line and character column
    /// (0 for "no position": the start of the line or file).
    pub fn from_report(&self, line: u32, column: u32) -> Position {
        let l = (line.max(1) - 1) as usize;
        let chars = column.saturating_sub(1) as usize;
        let utf16: usize = self.line(l).chars().take(chars).map(char::len_utf16).sum();
        Position::new(l.min(self.lines() - 1) as u32, utf16 as u32)
    }

    /// The LSP position of a byte offset (clamped to a character boundary).
    pub fn from_offset(&self, offset: usize) -> Position {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.starts.partition_point(|s| *s <= offset) - 1;
        let utf16: usize = self.text[self.starts[line]..offset]
            .chars()
            .map(char::len_utf16)
            .sum();
        Position::new(line as u32, utf16 as u32)
    }

    /// The byte offset of an LSP position (clamped to the line and the text).
    pub fn offset(&self, position: Position) -> usize {
        let Some(&start) = self.starts.get(position.line as usize) else {
            return self.text.len();
        };
        let line = self.line(position.line as usize);
        let mut units = 0;
        for (i, c) in line.char_indices() {
            if units >= position.character as usize {
                return start + i;
            }
            units += c.len_utf16();
        }
        start + line.len()
    }

    /// The end of 0-based `line` (before its line break).
    pub fn line_end(&self, line: usize) -> Position {
        let utf16: usize = self.line(line).chars().map(char::len_utf16).sum();
        Position::new(line as u32, utf16 as u32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_utf16_code_units() {
        let index = LineIndex::new("a\r\n\"é𝄞x\": 1\n");
        assert_eq!(index.line(0), "a");
        // `x` is the 4th character of line 2: é is one unit, 𝄞 two.
        assert_eq!(index.from_report(2, 4), Position::new(1, 4));
        let x = "a\r\n\"é𝄞".len();
        assert_eq!(index.from_offset(x), Position::new(1, 4));
        assert_eq!(
            index.from_offset(x - 1),
            Position::new(1, 2),
            "inside 𝄞: its start"
        );
        assert_eq!(index.from_report(0, 0), Position::new(0, 0));
        assert_eq!(index.from_report(99, 1), Position::new(2, 0));
        assert_eq!(index.line_end(1), Position::new(1, 9));
        assert_eq!(index.offset(Position::new(1, 4)), x);
        assert_eq!(index.offset(Position::new(1, 99)), "a\r\n\"é𝄞x\": 1".len());
        assert_eq!(index.offset(Position::new(7, 0)), "a\r\n\"é𝄞x\": 1\n".len());
    }
}
