import CairnCLI
import Foundation

/// The `cairn` executable: everything lives in CairnCLI, so tests can drive the commands directly.
@main
enum Entry {
    static func main() async {
        // Line-buffered, so progress lines and plan text interleave in order when piped to a CI log.
        setvbuf(stdout, nil, _IOLBF, 0)
        await Cairn.main()
    }
}
