/// The method and model an `upscale` run uses, from what the command line gave.
public struct MethodChoice: Equatable, Sendable {
    /// "bicubic", "sc", "srcnn" or "scn".
    public var method: String
    public var model: String?
    /// Said to the user when the choice was made for them (which shipped model, or why bicubic).
    public var note: String?

    public init(method: String, model: String?, note: String? = nil) {
        self.method = method
        self.model = model
        self.note = note
    }

    /// - A method and a model: those.
    /// - A method without a model: that method's best shipped model for the scale, or an error.
    /// - Neither: the best shipped model for the scale; bicubic, with a note, when there is none.
    /// `models` is only asked for when a model has to be found.
    public static func resolve(method: String?, model: String?, scale: Int,
                               models: () throws -> ShippedModels) throws -> MethodChoice {
        switch (method, model) {
        case ("bicubic", nil):
            return MethodChoice(method: "bicubic", model: nil)
        case ("bicubic", _):
            throw MethodChoiceError.modelWithBicubic
        case (nil, .some):
            throw MethodChoiceError.modelWithoutMethod
        case (let method?, let model?):
            return MethodChoice(method: method, model: model)
        case (let method?, nil):
            let shipped = try models()
            guard let best = shipped.best(scale: scale, method: method) else {
                throw MethodChoiceError.noShippedModel(method: method, scale: scale, searched: shipped.folders)
            }
            return MethodChoice(method: method, model: best.path)
        case (nil, nil):
            let shipped = try models()
            guard let best = shipped.best(scale: scale) else {
                return MethodChoice(method: "bicubic", model: nil,
                                    note: "no shipped model for ×\(scale) (looked in \(shipped.folders.joined(separator: ", "))); using bicubic")
            }
            return MethodChoice(method: best.method, model: best.path)
        }
    }
}

public enum MethodChoiceError: Error, CustomStringConvertible, Equatable {
    case modelWithoutMethod
    case modelWithBicubic
    case noShippedModel(method: String, scale: Int, searched: [String])

    public var description: String {
        switch self {
        case .modelWithoutMethod: return "--model needs --method (sc, srcnn or scn) to say what the file holds"
        case .modelWithBicubic: return "bicubic takes no model; drop --model or choose sc, srcnn or scn"
        case .noShippedModel(let method, let scale, let searched):
            return "no shipped \(method) model for ×\(scale) (looked in \(searched.joined(separator: ", "))); pass --model FILE"
        }
    }
}
