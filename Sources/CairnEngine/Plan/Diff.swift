import CairnJSON

/// Attribute-level differences between two attribute maps, as paths (`versioning`, `tags.team`,
/// `stages[1].actions[0].configuration.ProjectName`). Objects are compared member by member, lists of
/// equal length element by element, other values whole; policy documents are kept as data in IAM's
/// normal form, so they differ only where their meaning does.
public enum AttributeDiff {
    public static func changes(
        from old: [String: JSON], to new: [String: JSON], replaceOnChange: Set<String> = [],
        sensitivePaths: Set<String> = []
    ) -> [AttributeChange] {
        var out: [AttributeChange] = []
        for key in Set(old.keys).union(new.keys).sorted() {
            diff(path: key, old: old[key], new: new[key], into: &out)
        }
        for i in out.indices {
            let root = String(out[i].path.prefix { $0 != "." && $0 != "[" })
            out[i].forcesReplacement = replaceOnChange.contains(root)
            out[i].sensitive = isSensitive(out[i].path, sensitivePaths)
        }
        return out
    }

    /// Whether `path` is, is inside, or contains a sensitive path.
    public static func isSensitive(_ path: String, _ sensitivePaths: Set<String>) -> Bool {
        sensitivePaths.contains { s in
            s == path || path.hasPrefix(s + ".") || path.hasPrefix(s + "[") || s.hasPrefix(path + ".") || s.hasPrefix(path + "[")
        }
    }

    private static func diff(path: String, old: JSON?, new: JSON?, into out: inout [AttributeChange]) {
        if equivalent(old, new) { return }
        if case .object(let a)? = old, case .object(let b)? = new, Unknown.reference(in: .object(b)) == nil {
            for key in Set(a.keys).union(b.keys).sorted() {
                diff(path: "\(path).\(key)", old: a[key], new: b[key], into: &out)
            }
            return
        }
        if case .array(let a)? = old, case .array(let b)? = new, a.count == b.count {
            for i in a.indices { diff(path: "\(path)[\(i)]", old: a[i], new: b[i], into: &out) }
            return
        }
        out.append(AttributeChange(path: path, old: old, new: new))
    }

    /// Equal as data; a missing value equals null.
    static func equivalent(_ a: JSON?, _ b: JSON?) -> Bool {
        (a ?? .null) == (b ?? .null)
    }
}
