"""marshmallow schemas: XSchema out, XCreateSchema in, XQueryArgsSchema for filters."""
