extension TerraformImportReport {
    /// The report `cairn import --from-terraform` prints: what was imported and how it was matched, what Cairn folds
    /// into a parent, what was skipped and why, the declarations Terraform has nothing for, and what to do next.
    public func rendered(stack: Stack, file: String, style: Style) -> String {
        var lines: [String] = []
        func section(_ title: String, _ rows: [(String, String)]) {
            guard !rows.isEmpty else { return }
            lines.append(style.bold(title))
            let width = rows.map(\.0.count).max() ?? 0
            for (left, right) in rows { lines.append("  \(left.padding(toLength: width, withPad: " ", startingAt: 0))  \(right)") }
            lines.append("")
        }
        let environment = "\(stack.name) (\(stack.environment.name))"
        section(
            "Imported from \(file) into \(environment):",
            imported.filter { !$0.alreadyRecorded }.map { ($0.address, "← \($0.terraformAddress)  \($0.id)  (\($0.matchedBy))") })
        section(
            "Already in the state from an earlier import:",
            imported.filter(\.alreadyRecorded).map { ($0.address, "← \($0.terraformAddress)  \($0.id)") })
        section(
            "Covered by their parent (Cairn keeps these settings as one of its attributes):",
            covered.map { ($0.terraformAddress, "covered by \($0.parent) (\($0.attribute))\($0.parentImported ? "" : ", which was not imported")") })
        section("Skipped:", skipped.map { ($0.terraformAddress, $0.reason) })
        section("Declared, with nothing in the Terraform state (the next apply creates them):", notInTerraform.map { ($0, "") })

        let new = imported.filter { !$0.alreadyRecorded }
        let tagged = new.filter(\.tagged).count
        lines.append(
            style.green("\(new.count) imported")
                + (tagged > 0 ? " (\(tagged) given this state's ownership tags)" : "")
                + ", \(imported.count - new.count) already in the state, \(covered.count) covered by their parent, \(skipped.count) skipped, \(notInTerraform.count) declared but not in Terraform."
        )
        if !new.isEmpty {
            let environment = stack.environment.isDefault ? "" : " --env \(stack.environment.name)"
            let handedOver = new.map(\.terraformAddress) + covered.filter(\.parentImported).map(\.terraformAddress)
            lines.append(
                "Run `cairn plan \(stack.name)\(environment)` to see where the declarations differ. Terraform still lists them: take them out of its state so that only Cairn manages them:"
            )
            lines.append("  terraform state rm \(handedOver.map(Self.shellWord).joined(separator: " "))")
        }
        return lines.joined(separator: "\n")
    }

    /// `address` as one shell word: quoted when it holds more than letters, digits, `_`, `-` and `.` (an instance key
    /// such as `aws_iam_role.x["build"]`, whose quotes the shell would drop, or `[0]`, which it would glob).
    static func shellWord(_ address: String) -> String {
        let plain = address.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "_-.".contains($0)) }
        return plain ? address : "'" + address.replacingOccurrences(of: "'", with: #"'\''"#) + "'"
    }
}
