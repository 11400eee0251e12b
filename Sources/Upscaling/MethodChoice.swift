import Methods

/// The method and model an `upscale` run uses, from what the command line gave.
public struct MethodChoice: Equatable, Sendable {
    public var method: MethodName
    public var model: String?
    /// Said to the user when the choice was made for them (which shipped model, or why bicubic).
    public var note: String?

    public init(method: MethodName, model: String?, note: String? = nil) {
        self.method = method
        self.model = model
        self.note = note
    }

    /// - A method and a model: those.
    /// - A method without a model: none for a method that reads none (bicubic, nearest); otherwise
    ///   that method's best shipped model for the scale, or an error.
    /// - Neither: the best shipped model for the scale; bicubic, with a note, when there is none.
    /// `models` is only asked for when a model has to be found.
    public static func resolve(method: MethodName?, model: String?, scale: Int,
                               models: () throws -> ShippedModels) throws -> MethodChoice {
        switch (method, model) {
        case (let method?, _) where method.entry.model == nil:
            guard model == nil else { throw MethodChoiceError.modelNotTaken(method: method) }
            return MethodChoice(method: method, model: nil)
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
                return MethodChoice(method: .bicubic, model: nil,
                                    note: "no shipped model for ×\(scale) (looked in \(shipped.folders.joined(separator: ", "))); using bicubic")
            }
            return MethodChoice(method: best.method, model: best.path)
        }
    }
}

public enum MethodChoiceError: Error, CustomStringConvertible, Equatable {
    case modelWithoutMethod
    case modelNotTaken(method: MethodName)
    case noShippedModel(method: MethodName, scale: Int, searched: [String])

    /// "sc, srcnn or scn": the methods that read a model file.
    static var modelMethods: String {
        let names = MethodName.withModels.map(\.rawValue)
        return names.count < 2 ? names.joined() : names.dropLast().joined(separator: ", ") + " or " + names.last!
    }

    public var description: String {
        switch self {
        case .modelWithoutMethod: return "--model needs --method (\(Self.modelMethods)) to say what the file holds"
        case .modelNotTaken(let method): return "\(method.rawValue) takes no model; drop --model or choose \(Self.modelMethods)"
        case .noShippedModel(let method, let scale, let searched):
            return "no shipped \(method.rawValue) model for ×\(scale) (looked in \(searched.joined(separator: ", "))); pass --model FILE"
        }
    }
}
