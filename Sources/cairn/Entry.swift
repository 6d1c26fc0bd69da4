import CairnCLI

/// The `cairn` executable: everything lives in CairnCLI, so tests can drive the commands directly.
@main
enum Entry {
    static func main() async {
        await Cairn.execute()
    }
}
