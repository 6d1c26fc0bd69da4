import CairnCLI

/// The entry point of a package that declares stacks: its `main.swift` is
///
/// ```swift
/// import Cairn
///
/// await CairnMain.main(stacks: [myStack])
/// ```
///
/// and its executable is a complete `cairn` for those stacks: `stacks`, `plan`, `apply`, `destroy`,
/// `drift`, `output`, `state`, `import`, `graph`, `whoami` and `force-unlock`.
public enum CairnMain {
    /// Registers `stacks`, then parses the process's arguments and runs the command. It exits the
    /// process as `cairn` does: 1 on any error (two stacks with one name included), 2 for "changes
    /// present" or "drift found"; it returns when the command succeeded.
    public static func main(stacks: [StackDefinition]) async {
        // Qualified: `Cairn` is also the name of this module.
        await CairnCLI.Cairn.execute(stacks: stacks)
    }
}
