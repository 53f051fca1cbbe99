"""The shapes of the API's answers, for the OpenAPI docs at /docs (answers are built from
`Prediction.to_json` and `Reading.to_json`, the CLI's own JSON)."""

from pydantic import BaseModel, Field

PROBABILITIES = [0.0, 0.0, 0.000012, 0.99, 0.0, 0.0, 0.0, 0.009988, 0.0, 0.0]


class DigitOut(BaseModel):
    digit: int | None = Field(description="0-9; null when there is no digit (see reason)")
    confidence: float = Field(
        description="calibrated probability of the digit, times is_digit where the gate doubts a "
        "digit (under the calibrated gate_doubt)"
    )
    uncertain: bool = Field(description="confidence is below the model's threshold")
    is_digit: float = Field(description="the gate's probability that this is a digit at all")
    probabilities: list[float] = Field(description="ten calibrated probabilities, 0-9")
    box: list[int] | None = Field(None, description="x, y, width, height of the ink, in pixels")
    reason: str | None = Field(None, description="why there is no digit, or why it is uncertain")
    paired: bool | None = Field(
        None,
        description="true for a digit read with its neighbour by the pair reader (two digits "
        "written into each other): probabilities are the pair reader's, is_digit its "
        "probability that the piece is two digits",
    )


class PredictionOut(DigitOut):
    model_version: str
    request_id: str

    model_config = {
        "json_schema_extra": {
            "example": {
                "digit": 3,
                "confidence": 0.99,
                "uncertain": False,
                "is_digit": 0.999,
                "probabilities": PROBABILITIES,
                "box": [92, 60, 101, 160],
                "model_version": "v1",
                "request_id": "5f0c6a2e9b8d4e21",
            }
        }
    }


class ReadingOut(BaseModel):
    text: str = Field(description='the digits left to right, "" when none were found')
    uncertain: bool
    digits: list[DigitOut]
    reason: str | None = None
    model_version: str
    request_id: str

    model_config = {
        "json_schema_extra": {
            "example": {
                "text": "42",
                "uncertain": False,
                "digits": [
                    {
                        "digit": 4,
                        "confidence": 0.98,
                        "uncertain": False,
                        "is_digit": 0.99,
                        "probabilities": [0.0, 0.0, 0.0, 0.0, 0.98, 0.0, 0.0, 0.0, 0.0, 0.02],
                        "box": [20, 30, 80, 120],
                    },
                    {
                        "digit": 2,
                        "confidence": 0.97,
                        "uncertain": False,
                        "is_digit": 0.99,
                        "probabilities": [0.0, 0.0, 0.97, 0.0, 0.0, 0.0, 0.0, 0.03, 0.0, 0.0],
                        "box": [120, 28, 70, 124],
                    },
                ],
                "model_version": "v1",
                "request_id": "5f0c6a2e9b8d4e21",
            }
        }
    }


class StrokesIn(BaseModel):
    strokes: list[list[tuple[float, float]]] = Field(
        max_length=400,
        description="the strokes in the order written, each a list of [x, y] points in pixels "
        "(y down); at most 400 strokes and 50,000 points",
    )
    pen_width: float | None = Field(
        None, gt=0, le=1000, description="the pen's width in pixels (default: estimated)"
    )

    model_config = {
        "json_schema_extra": {
            "example": {
                "strokes": [
                    [[30, 20], [40, 10], [40, 90]],
                    [[70, 20], [95, 10], [110, 30], [70, 90], [115, 90]],
                ],
                "pen_width": 8,
            }
        }
    }


class ErrorBody(BaseModel):
    status: int
    message: str


class ErrorOut(BaseModel):
    error: ErrorBody
    request_id: str

    model_config = {
        "json_schema_extra": {
            "example": {
                "error": {"status": 415, "message": "notes.txt is not an image; send PNG, ..."},
                "request_id": "5f0c6a2e9b8d4e21",
            }
        }
    }


class BatchItemOut(BaseModel):
    filename: str | None
    text: str | None = None
    uncertain: bool | None = None
    digits: list[DigitOut] | None = None
    reason: str | None = None
    error: ErrorBody | None = Field(None, description="why this image was not read")


class BatchOut(BaseModel):
    results: list[BatchItemOut] = Field(description="one per image, in the order sent")
    model_version: str
    request_id: str


class FeedbackOut(BaseModel):
    ids: list[int] = Field(description="the stored rows, one per digit")
    predicted: str
    label: str
    model_version: str
    request_id: str


class ModelOut(BaseModel):
    version: str
    engine: str
    threshold: float
    checksums: str = Field(description='"ok", or why the version\'s files are refused')
    card: dict = Field(description="the model card's summary: accuracy, training date, data")
    fallback: str | None = Field(
        None,
        description="why the bundled v1 is served instead of the registry's active version "
        "(the registry cannot be read, or the active version is refused); null when the "
        "active version is served",
    )


class ReadyOut(BaseModel):
    status: str = Field(description='"ready", or "degraded": still serving, see problems')
    model_version: str
    feedback: str = Field(
        description='"ok"; "unreachable" (feedback answers 503, reads go on); "off" (no API key)'
    )
    problems: list[str] = Field(default_factory=list, description="what is degraded, and why")

    model_config = {
        "json_schema_extra": {
            "example": {
                "status": "degraded",
                "model_version": "v1",
                "feedback": "unreachable",
                "problems": ["the feedback store cannot be reached: feedback answers 503"],
            }
        }
    }


class PageNumberOut(BaseModel):
    text: str = Field(description="the number's digits, left to right")
    box: list[int] = Field(description="x, y, width, height of the whole number, in pixels")
    uncertain: bool = Field(description="some digit of it is uncertain")
    digits: list[DigitOut]


class PageOut(BaseModel):
    numbers: list[PageNumberOut] = Field(
        description="every handwritten number, top to bottom, then left to right"
    )
    uncertain: bool = Field(description="some number on the sheet is uncertain")
    reason: str | None = Field(None, description="why no number was found")
    model_version: str
    request_id: str
