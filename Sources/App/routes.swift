import Vapor

/// Every route of the server, by face: operations, REST v1, console.
func routes(_ app: Application) throws {
    OpsController.register(app)
    V1Controller.register(app)
    V1CRMController.register(app)
    V1ContentController.register(app)
    V1ResellerController.register(app)
    MediaController.register(app)
    BillingEndpoints.register(app)
    WebhookController.register(app)

    // Console: sessions and CSRF on every page, login required on all but the login page.
    let console = app.grouped(app.sessions.middleware).grouped(CSRFMiddleware())
    AuthController.register(console)
    let signedIn = console.grouped(ConsoleAuthMiddleware())
    HomeController.register(signedIn)
    SettingsController.register(signedIn)
    SystemUsersController.register(signedIn)
    UserLogsController.register(signedIn)
    JobsController.register(signedIn)
    AccountController.register(signedIn)
    CurrenciesController.register(signedIn)
    ProductsController.register(signedIn)
    CustomerBulkController.register(signedIn)
    CustomersController.register(signedIn)
    ResellersController.register(signedIn)
    ResellerPagesController.register(signedIn)
    StockController.register(signedIn)
    WebshopsController.register(signedIn)
    ProvisionsController.register(signedIn)
    ChannelsController.register(signedIn)
    VoDController.register(signedIn)
    MetadataPages.register(signedIn)
    ImportExportPages.register(signedIn)
    PublishController.register(app, console: signedIn)
    PortalController.register(signedIn)
}
