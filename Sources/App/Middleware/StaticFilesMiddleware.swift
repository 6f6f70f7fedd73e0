import Vapor

/// Serves Public/ (console CSS, the WebTV app) through Vapor's FileMiddleware, but lets API
/// requests pass without it: there are no files under /api/, and FileMiddleware is an
/// AsyncMiddleware, which starts a Task and asks the file system on every request it sees.
struct StaticFilesMiddleware: Middleware {
    let files: FileMiddleware

    func respond(to request: Request, chainingTo next: any Responder) -> EventLoopFuture<Response> {
        if request.url.path.hasPrefix("/api/") { return next.respond(to: request) }
        return files.respond(to: request, chainingTo: next)
    }
}
