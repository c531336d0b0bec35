import Foundation
import Yams

/// The contract itself: `openapi.yaml` beside this file, compiled into the binary (an installed
/// `dispatch` has no resource folder), as written and as JSON. The generator reads the same file
/// at build time, so the types, the server protocol and the client cannot drift from it.
public enum APIDocument {
    /// The document as written.
    public static let yaml: String = String(decoding: PackageResources.openapi_yaml, as: UTF8.self)

    /// The document as JSON (sorted keys), for `GET /openapi.json` and tools that read JSON.
    public static let json: [UInt8] = {
        do {
            guard let object = try Yams.load(yaml: yaml) else { return [] }
            return [UInt8](try JSONSerialization.data(withJSONObject: jsonCompatible(object), options: [.sortedKeys, .withoutEscapingSlashes]))
        } catch {
            // The document is checked at build time by the generator; a failure here is a bug.
            preconditionFailure("openapi.yaml does not load: \(error)")
        }
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

extension APIDocument {
    /// The query parameters each operation defines, by `METHOD /path/{template}`: what the server
    /// accepts, so that a misspelt parameter is refused instead of silently ignored.
    public static let queryParameters: [String: Set<String>] = {
        guard let document = (try? Yams.load(yaml: yaml)) as? [String: Any], let paths = document["paths"] as? [String: Any] else { return [:] }
        let shared = ((document["components"] as? [String: Any])?["parameters"] as? [String: Any]) ?? [:]
        func names(_ parameters: Any?) -> Set<String> {
            var result: Set<String> = []
            for case var parameter as [String: Any] in (parameters as? [Any]) ?? [] {
                if let reference = parameter["$ref"] as? String, let resolved = shared[String(reference.split(separator: "/").last ?? "")] as? [String: Any] {
                    parameter = resolved
                }
                if parameter["in"] as? String == "query", let name = parameter["name"] as? String { result.insert(name) }
            }
            return result
        }
        var result: [String: Set<String>] = [:]
        for (path, item) in paths {
            guard let item = item as? [String: Any] else { continue }
            let common = names(item["parameters"])
            for method in ["get", "post", "put", "patch", "delete"] {
                guard let operation = item[method] as? [String: Any] else { continue }
                result["\(method.uppercased()) \(path)"] = common.union(names(operation["parameters"]))
            }
        }
        return result
    }()
}

extension APIDocument {
    /// The methods the document defines for a concrete path (`/v1/assignments/3f2a…`), sorted;
    /// `nil` when no path of the document matches it. For `405 Method Not Allowed` and its `Allow`.
    public static func methods(forPath path: String) -> [String]? {
        let segments = path.split(separator: "/", omittingEmptySubsequences: false)
        for (template, methods) in pathMethods {
            let parts = template.split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count == segments.count else { continue }
            let matches = zip(parts, segments).allSatisfy { part, segment in
                part.hasPrefix("{") && part.hasSuffix("}") ? !segment.isEmpty : part == segment
            }
            if matches { return methods }
        }
        return nil
    }

    private static let pathMethods: [(template: String, methods: [String])] = {
        guard let document = (try? Yams.load(yaml: yaml)) as? [String: Any], let paths = document["paths"] as? [String: Any] else { return [] }
        return paths.compactMap { path, item in
            guard let item = item as? [String: Any] else { return nil }
            let methods = ["get", "post", "put", "patch", "delete"].filter { item[$0] != nil }.map { $0.uppercased() }
            return (path, methods.sorted())
        }
    }()
}
