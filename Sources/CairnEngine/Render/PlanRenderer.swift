import CairnJSON

/// ANSI styling, off when output is not a terminal or `NO_COLOR` is set.
public struct Style: Sendable {
    public let enabled: Bool
    public init(enabled: Bool) { self.enabled = enabled }

    public func green(_ s: String) -> String { wrap(s, "32") }
    public func yellow(_ s: String) -> String { wrap(s, "33") }
    public func red(_ s: String) -> String { wrap(s, "31") }
    public func magenta(_ s: String) -> String { wrap(s, "35") }
    public func bold(_ s: String) -> String { wrap(s, "1") }
    public func dim(_ s: String) -> String { wrap(s, "2") }
    private func wrap(_ s: String, _ code: String) -> String { enabled ? "\u{1B}[\(code)m\(s)\u{1B}[0m" : s }

    /// `text` in the colour of `action`.
    public func action(_ action: Action, _ text: String) -> String {
        switch action {
        case .create: return green(text)
        case .update: return yellow(text)
        case .replace: return magenta(text)
        case .delete: return red(text)
        case .move, .noop: return text
        }
    }
}

/// Prints a plan the way Terraform users read one: a symbol per resource, old → new per attribute,
/// sensitive values masked, and the summary line.
public struct PlanRenderer: Sendable {
    public let style: Style
    public init(style: Style) { self.style = style }

    public func render(_ plan: Plan) -> String {
        var lines: [String] = []
        let changed = plan.resources.filter { $0.action != .noop || $0.adopt }
        if changed.isEmpty {
            let scope = plan.targets.isEmpty ? "" : " (as far as the targets go)"
            lines.append(
                style.green("No changes.") + " The stack '\(plan.stack)' (\(plan.environment)) matches its declaration and AWS\(scope).")
            lines += renderWarnings(plan)
            return lines.joined(separator: "\n")
        }
        lines.append("Cairn will perform the following actions on '\(plan.stack)' (\(plan.environment), \(plan.region)):")
        lines.append("")
        for change in changed {
            let moved = change.movedFrom.map { "# \($0) has moved to \(change.address)" }
            if change.action == .move, let moved {
                // Terraform's line for a rename with nothing else to do: no symbol, the state alone changes.
                lines.append("    " + style.bold(moved) + style.dim("  (state only, no API call)"))
                continue
            }
            let symbol = change.createBeforeDestroy ? "+/-" : change.action.symbol
            var header = "  \(style.action(change.action, symbol)) \(style.bold(change.address))"
            var notes = [describe(change)]
            if let reason = change.reason { notes.append(reason) }
            header += style.dim("  (" + notes.joined(separator: ", ") + ")")
            lines.append(header)
            if let moved { lines.append("      " + style.dim(moved)) }
            let attributes = change.action == .delete ? [] : change.changes
            for attribute in attributes {
                lines.append("      " + renderAttribute(attribute, action: change.action))
            }
        }
        lines.append("")
        lines.append(style.bold("Plan:") + " " + plan.summary)
        lines += renderWarnings(plan)
        return lines.joined(separator: "\n")
    }

    /// The plan's warnings, each as Terraform shows one: `Warning: …`, after the plan.
    public func renderWarnings(_ plan: Plan) -> [String] {
        plan.warnings.flatMap { ["", style.yellow(style.bold("Warning:")) + " " + $0] }
    }

    private func describe(_ change: ResourceChange) -> String {
        switch change.action {
        case .create: return "create"
        case .update: return "update in place"
        case .replace where change.createBeforeDestroy:
            return "must be replaced, as requested: create the new one, then destroy the old one, since both can exist at once"
        case .replace where change.replaceRequested: return "must be replaced, as requested: destroy then create, because its name is fixed"
        case .replace: return "replace: delete, then create"
        case .delete: return "delete"
        case .move: return "moved"
        case .noop where change.importing: return "import"
        case .noop: return "no changes"
        }
    }

    private func renderAttribute(_ change: AttributeChange, action: Action) -> String {
        let show: (JSON?) -> String = { value in
            guard let value else { return "null" }
            if change.sensitive { return "(sensitive)" }
            return Plan.showUnknown(value) == "(known after apply)" ? "(known after apply)" : Self.compact(Plan.showUnknown(value))
        }
        var text: String
        switch (change.old, change.new) {
        case (nil, _):
            text = style.green("+") + " \(change.path) = \(show(change.new))"
        case (_, nil):
            text = style.red("-") + " \(change.path) = \(show(change.old))"
        default:
            // Two masks side by side would not say that anything changed, nor may they say how.
            let shown = change.sensitive ? Self.sensitiveChange : "\(show(change.old)) → \(show(change.new))"
            text = style.yellow("~") + " \(change.path): \(shown)"
        }
        if change.forcesReplacement { text += style.red("  # forces replacement") }
        return text
    }

    /// How a change of a sensitive value shows: that it changed, never either value.
    public static let sensitiveChange = "(sensitive value changed)"

    /// Short values on one line; long ones cut, for the terminal.
    public static func compact(_ value: JSON) -> String {
        let text = value.description
        return text.count > 160 ? String(text.prefix(157)) + "…" : text
    }
}
