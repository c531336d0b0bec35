import Foundation
import Yams

/// The contract itself: `openapi.yaml` beside this file, compiled into the binary (an installed
/// `dispatch` has no resource folder), as written and as JSON. The generator reads the same file
/// at build time, so the types, the server protocol and the client cannot drift from it.
public enum APIDocument {
    /// The document as written.
    public static let yaml: String = String(decoding: PackageResources.openapi_yaml, as: UTF8.self)

    /// The document as JSON (sorted keys), for `GET /openapi.json` and tools that read JSON.
    public static var json: [UInt8] { outline.json }

    /// The query parameters each operation defines, by `METHOD /path/{template}`: what the server
    /// accepts, so that a misspelt parameter is refused instead of silently ignored.
    public static var queryParameters: [String: Set<String>] { outline.queryParameters }

    /// The methods the document defines for a concrete path (`/v1/assignments/3f2a…`), sorted;
    /// `nil` when no path of the document matches it. For `405 Method Not Allowed` and its `Allow`.
    public static func methods(forPath path: String) -> [String]? {
        let segments = path.split(separator: "/", omittingEmptySubsequences: false)
        for (template, methods) in outline.pathMethods {
            let parts = template.split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count == segments.count else { continue }
            let matches = zip(parts, segments).allSatisfy { part, segment in
                part.hasPrefix("{") && part.hasSuffix("}") ? !segment.isEmpty : part == segment
            }
            if matches { return methods }
        }
        return nil
    }

    /// What the server reads from the document, all from one parse of it (on first use).
    private struct Outline: Sendable {
        var json: [UInt8]
        var queryParameters: [String: Set<String>] = [:]
        var pathMethods: [(template: String, methods: [String])] = []
    }

    private static let methodNames = ["get", "post", "put", "patch", "delete"]

    private static let outline: Outline = {
        let document: [String: Any]
        var outline: Outline
        do {
            guard let loaded = try Yams.load(yaml: yaml) as? [String: Any] else { preconditionFailure("openapi.yaml is not a mapping") }
            document = loaded
            outline = Outline(json: [UInt8](try JSONSerialization.data(withJSONObject: jsonCompatible(document), options: [.sortedKeys, .withoutEscapingSlashes])))
        } catch {
            // The document is checked at build time by the generator; a failure here is a bug.
            preconditionFailure("openapi.yaml does not load: \(error)")
        }
        let paths = document["paths"] as? [String: Any] ?? [:]
        let shared = ((document["components"] as? [String: Any])?["parameters"] as? [String: Any]) ?? [:]
        func queryNames(_ parameters: Any?) -> Set<String> {
            var result: Set<String> = []
            for case var parameter as [String: Any] in (parameters as? [Any]) ?? [] {
                if let reference = parameter["$ref"] as? String, let resolved = shared[String(reference.split(separator: "/").last ?? "")] as? [String: Any] {
                    parameter = resolved
                }
                if parameter["in"] as? String == "query", let name = parameter["name"] as? String { result.insert(name) }
            }
            return result
        }
        for (path, item) in paths {
            guard let item = item as? [String: Any] else { continue }
            let common = queryNames(item["parameters"])
            var methods: [String] = []
            for method in methodNames {
                guard let operation = item[method] as? [String: Any] else { continue }
                outline.queryParameters["\(method.uppercased()) \(path)"] = common.union(queryNames(operation["parameters"]))
                methods.append(method.uppercased())
            }
            outline.pathMethods.append((path, methods.sorted()))
        }
        return outline
    }()

    /// Yams gives YAML's own scalar types; JSON wants dictionaries with string keys, arrays,
    /// strings, numbers, booleans and null.
    private static func jsonCompatible(_ value: Any) -> Any {
        switch value {
        case let dictionary as [AnyHashable: Any]:
            var result: [String: Any] = [:]
            for (key, value) in dictionary { result["\(key)"] = jsonCompatible(value) }
            return result
        case let array as [Any]:
            return array.map(jsonCompatible)
        case is NSNull, is String, is Bool, is Int, is Double:
            return value
        default:
            return "\(value)"
        }
    }
}
