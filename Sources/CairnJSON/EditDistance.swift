extension String {
    /// The Levenshtein distance to `other`: the fewest single-character insertions, deletions and substitutions
    /// that turn one into the other. For "did you mean" hints on short names (regions, resource addresses).
    public func editDistance(to other: String) -> Int {
        let a = Array(self)
        let b = Array(other)
        guard !a.isEmpty else { return b.count }
        guard !b.isEmpty else { return a.count }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                current[j] = Swift.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}

extension Sequence where Element == String {
    /// The element nearest to `name` by edit distance (the first in sorted order among equals), or nil when there is
    /// none: the "did you mean …?" of an unknown address.
    public func closest(to name: String) -> String? {
        sorted().min { $0.editDistance(to: name) < $1.editDistance(to: name) }
    }
}
