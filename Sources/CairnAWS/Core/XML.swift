import Foundation

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// An XML element as AWS's query and rest-xml protocols use it: a name, attributes, child elements
/// and text. Mixed content does not occur in AWS answers, so text and children are kept apart.
public struct XMLNode: Sendable, Hashable {
    public var name: String
    public var attributes: [String: String]
    public var children: [XMLNode]
    public var text: String

    public init(_ name: String, attributes: [String: String] = [:], text: String = "", children: [XMLNode] = []) {
        self.name = name
        self.attributes = attributes
        self.children = children
        self.text = text
    }

    /// The first child called `name`.
    public subscript(name: String) -> XMLNode? { children.first { $0.name == name } }

    /// Every child called `name`.
    public func all(_ name: String) -> [XMLNode] { children.filter { $0.name == name } }

    /// The text of the first child called `name`.
    public func string(_ name: String) -> String? { self[name]?.text }

    /// Follows a path of child names: `node.path("ResponseMetadata", "RequestId")`.
    public func path(_ names: String...) -> XMLNode? {
        var node: XMLNode? = self
        for name in names { node = node?[name] }
        return node
    }

    /// The items of an AWS list: the children of the list element (named `member`, `item` or anything).
    public func list(_ name: String) -> [XMLNode] { self[name]?.children ?? [] }

    // MARK: Writing

    /// The element as XML text, with a declaration when `declaration` is set.
    public func xmlString(declaration: Bool = true) -> String {
        var out = declaration ? #"<?xml version="1.0" encoding="UTF-8"?>"# : ""
        write(to: &out)
        return out
    }

    private func write(to out: inout String) {
        out += "<" + name
        for key in attributes.keys.sorted() { out += " \(key)=\"\(XMLNode.escape(attributes[key]!))\"" }
        if children.isEmpty && text.isEmpty {
            out += "/>"
            return
        }
        out += ">"
        out += XMLNode.escape(text)
        for child in children { child.write(to: &out) }
        out += "</" + name + ">"
    }

    static func escape(_ s: String) -> String {
        var out = ""
        for c in s {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\r": out += "&#13;"
            default: out.append(c)
            }
        }
        return out
    }

    // MARK: Parsing

    /// Why a body could not be read as XML.
    public struct ParseError: Error, Sendable, CustomStringConvertible {
        public let reason: String
        public var description: String { "the body is not well-formed XML (\(reason))" }
    }

    /// Parses a whole document and returns its root element.
    public static func parse(_ data: Data) throws(ParseError) -> XMLNode {
        let delegate = TreeBuilder()
        let parser = XMLParser(data: data)
        parser.delegate = delegate
        parser.shouldProcessNamespaces = false
        guard parser.parse(), let root = delegate.root else {
            throw ParseError(reason: parser.parserError.map { "\($0.localizedDescription)" } ?? "no root element")
        }
        return root
    }
}

/// Builds `XMLNode`s from parser events; lives only for one parse on one thread.
private final class TreeBuilder: NSObject, XMLParserDelegate {
    var stack: [XMLNode] = []
    var root: XMLNode?

    func parser(
        _ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
        qualifiedName qName: String?, attributes attributeDict: [String: String] = [:]
    ) {
        stack.append(XMLNode(elementName, attributes: attributeDict))
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        guard !stack.isEmpty else { return }
        stack[stack.count - 1].text += string
    }

    func parser(_ parser: XMLParser, foundCDATA block: Data) {
        guard !stack.isEmpty else { return }
        stack[stack.count - 1].text += String(decoding: block, as: UTF8.self)
    }

    func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName qName: String?) {
        var node = stack.removeLast()
        // Whitespace between child elements is formatting, not content.
        if !node.children.isEmpty && node.text.allSatisfy(\.isWhitespace) { node.text = "" }
        if stack.isEmpty { root = node } else { stack[stack.count - 1].children.append(node) }
    }
}
