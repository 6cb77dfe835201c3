//! "Saran summarised by frequency of words": the most frequent meaningful words of the
//! suggestions, without Indonesian function words.

use std::collections::HashMap;

const STOPWORDS: &[&str] = &[
    "yang",
    "dan",
    "di",
    "ke",
    "dari",
    "untuk",
    "dengan",
    "pada",
    "agar",
    "atau",
    "juga",
    "ini",
    "itu",
    "sudah",
    "belum",
    "tidak",
    "lebih",
    "sangat",
    "mohon",
    "tolong",
    "saya",
    "kami",
    "kita",
    "ada",
    "karena",
    "dalam",
    "bisa",
    "akan",
    "harus",
    "perlu",
    "semoga",
    "terima",
    "kasih",
    "makin",
    "sebaiknya",
    "sering",
    "masih",
    "para",
    "oleh",
    "jika",
    "kalau",
    "supaya",
    "lagi",
    "hanya",
    "the",
    "and",
    "sekali",
    "baik",
    "bagus",
];

/// The `limit` most frequent words (≥ 4 letters, lower-cased), ties by word.
pub fn top_words<'a>(texts: impl IntoIterator<Item = &'a str>, limit: usize) -> Vec<(String, usize)> {
    let mut counts: HashMap<String, usize> = HashMap::new();
    for text in texts {
        for word in text.split(|c: char| !c.is_alphanumeric()) {
            let word = word.to_lowercase();
            if word.chars().count() >= 4
                && !STOPWORDS.contains(&word.as_str())
                && !word.chars().all(|c| c.is_ascii_digit())
            {
                *counts.entry(word).or_default() += 1;
            }
        }
    }
    let mut ranked: Vec<(String, usize)> = counts.into_iter().collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    ranked.truncate(limit);
    ranked
}

#[cfg(test)]
mod tests {
    #[test]
    fn counts_meaningful_words() {
        let words = super::top_words(
            ["Antrean terlalu lama, mohon ditambah loket.", "Antrean lama sekali", "Petugas ramah"],
            3,
        );
        assert_eq!(words, [("antrean".to_string(), 2), ("lama".to_string(), 2), ("ditambah".to_string(), 1)]);
    }
}
