/// AWS's rules for tags, shared by resources' own tags and a stack's tags.
public enum TagRules {
    /// AWS allows 50 tags per resource; Cairn's three ownership tags take three of them.
    public static let maximumDeclared = 47

    /// What is wrong with one tag, as the rest of a sentence, or nil.
    public static func problem(key: String, value: String) -> String? {
        if key.isEmpty || key.count > 128 || key.hasPrefix("aws:") {
            return "tag keys must be 1 to 128 characters and must not start with 'aws:'."
        }
        if key.hasPrefix(Ownership.reservedPrefix) {
            return "tag keys starting with '\(Ownership.reservedPrefix)' are Cairn's ownership tags, set on every resource: remove this one."
        }
        if value.count > 256 { return "tag values must be at most 256 characters." }
        return nil
    }

    /// What is wrong with a resource carrying `count` declared tags, or nil.
    public static func countProblem(_ count: Int) -> String? {
        count > maximumDeclared ? "\(count) tags and Cairn's 3 ownership tags are more than AWS's 50: remove some." : nil
    }
}
