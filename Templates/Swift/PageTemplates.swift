import AssignmentCore
import Mustache

/// The web pages' HTML templates (`Templates/Pages/*.mustache`), their style sheet and script,
/// compiled into the binary like the texts (docs/web.md).
///
/// Every page extends `layout` (Mustache template inheritance: `{{<layout}}` with `{{$title}}` and
/// `{{$content}}` blocks). Templates render with HTML escaping, so every value a page shows, a
/// title or a handle, is escaped; the words come from the texts (`page.*` keys, as `{{t.name}}`).
public struct PageTemplates: Sendable {
    public let library: MustacheLibrary

    /// The pages compiled into this program.
    public static let bundled: PageTemplates = {
        do {
            return try PageTemplates(sources: [
                "layout": PackageResources.layout_mustache, "sign-in": PackageResources.sign_in_mustache,
                "sign-in-link": PackageResources.sign_in_link_mustache, "message": PackageResources.message_mustache,
                "overview": PackageResources.overview_mustache, "assignment": PackageResources.assignment_mustache,
                "admin": PackageResources.admin_mustache, "compliance": PackageResources.compliance_mustache,
            ])
        } catch {
            // A test renders every bundled page; a build that cannot is not shipped.
            fatalError("Templates/Pages cannot be read: \(error)")
        }
    }()

    /// The style sheet (`/static/app.css`).
    public static let styleSheet: [UInt8] = PackageResources.app_css
    /// The script (`/static/app.js`): live updates only; every page works without it.
    public static let script: [UInt8] = PackageResources.app_js

    public init(sources: [String: [UInt8]]) throws {
        var library = MustacheLibrary()
        for (name, bytes) in sources {
            try library.register(String(decoding: bytes, as: UTF8.self), named: name)
        }
        self.library = library
    }

    /// The page `name` rendered with `context`; a page that does not exist renders as nothing,
    /// which the page tests would catch.
    public func render(_ name: String, _ context: [String: Any]) -> String {
        library.render(context, withTemplate: name) ?? ""
    }
}

extension TextCatalog {
    /// Every page text of `language`, by name (`page.overview_title` as `overview_title`), for a
    /// template's `{{t.name}}`. Texts that take values are given here as they are written, with
    /// their `{{name}}` placeholders, for the page's script to fill in.
    public func pageTexts(_ language: Language) -> [String: String] {
        pageTextsByLanguage[language] ?? [:]
    }
}
