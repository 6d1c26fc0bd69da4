import CairnAWS
import CairnEngine
import CairnJSON

/// CloudFront's XML conventions and its versioned writes, shared by the origin access control and the distribution.
/// The element names and their order are botocore's (`cloudfront/2020-05-31/service-2.json`): CloudFront reads each
/// structure's members in the model's order.
enum CloudFrontWire {
    static func element(_ name: String, _ text: String) -> XMLNode { XMLNode(name, text: text) }
    static func element(_ name: String, _ children: [XMLNode]) -> XMLNode { XMLNode(name, children: children) }
    static func element(_ name: String, _ flag: Bool) -> XMLNode { XMLNode(name, text: flag ? "true" : "false") }

    /// CloudFront's list: `<Name><Quantity>n</Quantity><Items>…</Items></Name>`, `Items` left out when there are none
    /// (as CloudFront writes it); `extra` members follow (`CachedMethods` inside `AllowedMethods`).
    static func list(_ name: String, _ items: [XMLNode], extra: [XMLNode] = []) -> XMLNode {
        var children = [element("Quantity", String(items.count))]
        if !items.isEmpty { children.append(element("Items", items)) }
        return element(name, children + extra)
    }

    /// The items of a CloudFront list (`node` is the `<Name>` element).
    static func items(_ node: XMLNode?) -> [XMLNode] { node?["Items"]?.children ?? [] }

    /// The element `name` with its members in `order`: each member in `managed` as Cairn declares it (left out when
    /// nil), every other one as `live` has it. CloudFront's updates replace the whole configuration, so what Cairn
    /// does not manage (a WAF ACL, a function association made by hand) is sent back unchanged.
    static func merged(_ name: String, order: [String], managed: [String: XMLNode?], live: XMLNode?) -> XMLNode {
        var children: [XMLNode] = []
        for member in order {
            if let declared = managed[member] {
                if let declared { children.append(declared) }
            } else if let kept = live?[member] {
                children.append(kept)
            }
        }
        return element(name, children)
    }

    /// The text of `name` in `node`, nil when absent or empty (CloudFront writes unset strings as empty elements).
    static func text(_ node: XMLNode?, _ name: String) -> String? {
        guard let text = node?.string(name), !text.isEmpty else { return nil }
        return text
    }

    // MARK: Errors

    /// CloudFront's answer to a write whose If-Match is no longer the current ETag: someone changed it in between.
    static let staleETag = "PreconditionFailed"

    /// Runs a versioned write: `read` returns what is there and its ETag, `write` sends the change with that ETag in
    /// If-Match. When CloudFront answers PreconditionFailed (changed in between, by hand or by CloudFront itself), it
    /// reads again and writes once more; a second refusal stands.
    static func withCurrentETag<T>(
        read: () async throws -> (node: XMLNode?, etag: String), write: (XMLNode?, String) async throws -> T
    ) async throws -> T {
        var current = try await read()
        do {
            return try await write(current.node, current.etag)
        } catch let error as AWSServiceError where error.code == staleETag {
            current = try await read()
            return try await write(current.node, current.etag)
        }
    }

    // MARK: Tags

    /// `<Items><Tag><Key>k</Key><Value>v</Value></Tag>…</Items>`, the children of TagResource's `<Tags>`.
    static func tagsXML(_ tags: [String: String]) -> [XMLNode] {
        [element("Items", tags.keys.sorted().map { element("Tag", [element("Key", $0), element("Value", tags[$0]!)]) })]
    }

    /// The tags of ListTagsForResource's `<Tags>` answer.
    static func tags(from root: XMLNode?) -> [String: String] {
        var tags: [String: String] = [:]
        for tag in items(root) {
            if let key = tag.string("Key") { tags[key] = tag.string("Value") ?? "" }
        }
        return tags
    }

    // MARK: Names

    /// Whether `text` has the form of the ids CloudFront chooses (`E2QWRUHAPOMQZL`: capital letters and digits).
    static func couldBeID(_ text: String) -> Bool {
        (1...32).contains(text.count) && text.allSatisfy { $0.isASCII && ($0.isUppercase || $0.isNumber) }
    }

    /// The partition of the client's region, as in ARNs.
    static func partition(_ region: String) -> String { AWSPartition.of(region: region)?.name ?? "aws" }

    /// The account in a CloudFront ARN as AWS or an emulator writes it: the field of twelve digits (CloudFront's ARNs
    /// have an empty region field, `arn:aws:cloudfront::123456789012:distribution/ID`; some emulators leave it out).
    static func account(inARN arn: String) -> String? {
        arn.split(separator: ":", omittingEmptySubsequences: false).dropFirst(3).first { $0.count == 12 && $0.allSatisfy(\.isNumber) }
            .map(String.init)
    }
}
