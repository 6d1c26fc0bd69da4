/// A stack's dependency graph as Graphviz DOT: one node per resource (labelled with its type and
/// logical name), one edge from each resource to what it depends on.
public enum GraphRenderer {
    public static func dot(_ stack: Stack) -> String {
        var lines = [
            "digraph \"\(escape(stack.name))\" {", "  rankdir = \"RL\";", "  node [shape = box, style = rounded, fontname = \"Helvetica\"];",
        ]
        for resource in stack.resources.sorted(by: { $0.address < $1.address }) {
            lines.append("  \"\(escape(resource.address))\" [label = \"\(escape(resource.typeName))\\n\(escape(resource.logicalName))\"];")
        }
        for resource in stack.resources.sorted(by: { $0.address < $1.address }) {
            for dependency in resource.dependencies.sorted() {
                lines.append("  \"\(escape(resource.address))\" -> \"\(escape(dependency))\";")
            }
        }
        lines.append("}")
        return lines.joined(separator: "\n") + "\n"
    }

    private static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
    }
}
