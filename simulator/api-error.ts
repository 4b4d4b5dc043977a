/** An error answer of the RPC API: the Code, HTTP status and Message the real service uses. */
export class ApiError extends Error {
  constructor(
    readonly code: string,
    readonly httpStatus: number,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export function missingParameter(name: string): ApiError {
  return new ApiError('MissingParameter', 400, `The input parameter "${name}" that is mandatory for processing this request is not supplied.`);
}

export function invalidParameter(name: string, value: string): ApiError {
  return new ApiError('InvalidParameter', 400, `The specified parameter "${name}" is not valid: ${JSON.stringify(value)}.`);
}

export function instanceNotFound(): ApiError {
  return new ApiError('InvalidDBInstanceId.NotFound', 400, 'The specified instance is not found.');
}
