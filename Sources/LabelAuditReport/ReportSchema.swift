/// The JSON report's schema (JSON Schema 2020-12), also in Docs/report.schema.json (a test
/// keeps the two equal). Bump `AuditReport.currentSchemaVersion` and the `const` below together (2: the model-assisted headline, the
/// audit sample summary and the noise matrix).
public enum ReportSchema {
    public static let json = #"""
        {
          "$schema": "https://json-schema.org/draft/2020-12/schema",
          "$id": "https://labelaudit.invalid/report.schema.json",
          "title": "labelaudit audit report",
          "description": "The JSON export of labelaudit (labelaudit export DATASET --format json). Only train rows carry anything human-made.",
          "type": "object",
          "additionalProperties": false,
          "properties": {
            "schemaVersion": {
              "const": 2
            },
            "generatedAt": {
              "type": "string"
            },
            "dataset": {
              "$ref": "#/$defs/dataset"
            },
            "runs": {
              "type": "array",
              "items": {
                "$ref": "#/$defs/run"
              }
            },
            "progress": {
              "$ref": "#/$defs/progress"
            },
            "confirmedErrors": {
              "type": "array",
              "items": {
                "$ref": "#/$defs/face"
              }
            },
            "badImages": {
              "type": "array",
              "items": {
                "$ref": "#/$defs/face"
              }
            },
            "conflicts": {
              "type": "array",
              "items": {
                "$ref": "#/$defs/face"
              }
            },
            "noise": {
              "$ref": "#/$defs/noise"
            },
            "clustering": {
              "$ref": "#/$defs/clustering"
            },
            "precision": {
              "type": "array",
              "items": {
                "$ref": "#/$defs/rankingPrecision"
              }
            },
            "scoreHistogram": {
              "$ref": "#/$defs/histogram"
            },
            "calibration": {
              "type": "array",
              "items": {
                "$ref": "#/$defs/calibration"
              }
            },
            "warnings": {
              "type": "array",
              "items": {
                "type": "string"
              }
            },
            "noiseMatrix": {
              "$ref": "#/$defs/noiseMatrix"
            }
          },
          "required": [
            "schemaVersion",
            "generatedAt",
            "dataset",
            "runs",
            "progress",
            "confirmedErrors",
            "badImages",
            "conflicts",
            "noise",
            "noiseMatrix",
            "clustering",
            "precision",
            "scoreHistogram",
            "calibration",
            "warnings"
          ],
          "$defs": {
            "dataset": {
              "type": "object",
              "additionalProperties": false,
              "properties": {
                "root": {
                  "type": "string"
                },
                "trainRows": {
                  "type": "integer",
                  "minimum": 0
                },
                "testRows": {
                  "type": "integer",
                  "minimum": 0
                },
                "latentDimensions": {
                  "type": "integer",
                  "minimum": 0
                },
                "prevalence": {
                  "type": "number",
                  "minimum": 0,
                  "maximum": 1
                },
                "missingImagesTrain": {
                  "type": "integer",
                  "minimum": 0
                },
                "missingImagesTest": {
                  "type": "integer",
                  "minimum": 0
                },
                "imageDirectory": {
                  "type": "string"
                }
              },
              "required": [
                "root",
                "trainRows",
                "testRows",
                "latentDimensions",
                "prevalence",
                "missingImagesTrain",
                "missingImagesTest"
              ]
            },
            "run": {
              "type": "object",
              "additionalProperties": false,
              "properties": {
                "name": {
                  "type": "string"
                },
                "source": {
                  "enum": [
                    "imported",
                    "latent",
                    "image",
                    "command"
                  ]
                },
                "outOfFold": {
                  "type": "boolean"
                },
                "weight": {
                  "type": "number"
                },
                "trainLogLoss": {
                  "type": "number"
                },
                "trainAccuracy": {
                  "type": "number",
                  "minimum": 0,
                  "maximum": 1
                },
                "trainAUROC": {
                  "type": "number",
                  "minimum": 0,
                  "maximum": 1
                },
                "trainRowsPredicted": {
                  "type": "integer",
                  "minimum": 0
                },
                "createdAt": {
                  "type": "string"
                }
              },
              "required": [
                "name",
                "source",
                "weight",
                "trainRowsPredicted",
                "createdAt"
              ],
              "description": "Train metrics only: test labels do not exist."
            },
            "reviewerProgress": {
              "type": "object",
              "additionalProperties": false,
              "properties": {
                "reviewer": {
                  "type": "string"
                },
                "verdicts": {
                  "type": "integer",
                  "minimum": 0
                },
                "labelOK": {
                  "type": "integer",
                  "minimum": 0
                },
                "labelWrong": {
                  "type": "integer",
                  "minimum": 0
                },
                "unsure": {
                  "type": "integer",
                  "minimum": 0
                },
                "badImage": {
                  "type": "integer",
                  "minimum": 0
                }
              },
              "required": [
                "reviewer",
                "verdicts",
                "labelOK",
                "labelWrong",
                "unsure",
                "badImage"
              ]
            },
            "agreement": {
              "type": "object",
              "additionalProperties": false,
              "properties": {
                "reviewerA": {
                  "type": "string"
                },
                "reviewerB": {
                  "type": "string"
                },
                "overlap": {
                  "type": "integer",
                  "minimum": 0
                },
                "agreed": {
                  "type": "integer",
                  "minimum": 0
                },
                "kappa": {
                  "type": "number",
                  "maximum": 1
                }
              },
              "required": [
                "reviewerA",
                "reviewerB",
                "overlap",
                "agreed"
              ]
            },
            "progress": {
              "type": "object",
              "additionalProperties": false,
              "properties": {
                "queueSize": {
                  "type": "integer",
                  "minimum": 0
                },
                "reviewed": {
                  "type": "integer",
                  "minimum": 0
                },
                "decisive": {
                  "type": "integer",
                  "minimum": 0
                },
                "perReviewer": {
                  "type": "array",
                  "items": {
                    "$ref": "#/$defs/reviewerProgress"
                  }
                },
                "agreement": {
                  "type": "array",
                  "items": {
                    "$ref": "#/$defs/agreement"
                  }
                },
                "auditSampleSize": {
                  "type": "integer",
                  "minimum": 0
                },
                "auditSampleReviewed": {
                  "type": "integer",
                  "minimum": 0
                },
                "ignoredItems": {
                  "type": "integer",
                  "minimum": 0
                }
              },
              "required": [
                "queueSize",
                "reviewed",
                "decisive",
                "perReviewer",
                "agreement",
                "auditSampleSize",
                "auditSampleReviewed",
                "ignoredItems"
              ]
            },
            "verdict": {
              "type": "object",
              "additionalProperties": false,
              "properties": {
                "reviewer": {
                  "type": "string"
                },
                "verdict": {
                  "enum": [
                    "label_ok",
                    "label_wrong",
                    "unsure",
                    "bad_image"
                  ]
                },
                "note": {
                  "type": "string"
                },
                "tags": {
                  "type": "array",
                  "items": {
                    "type": "string"
                  }
                },
                "at": {
                  "type": "string"
                }
              },
              "required": [
                "reviewer",
                "verdict",
                "tags"
              ]
            },
            "probability": {
              "type": "object",
              "additionalProperties": false,
              "properties": {
                "run": {
                  "type": "string"
                },
                "probability": {
                  "type": "number",
                  "minimum": 0,
                  "maximum": 1
                }
              },
              "required": [
                "run",
                "probability"
              ]
            },
            "face": {
              "type": "object",
              "additionalProperties": false,
              "properties": {
                "id": {
                  "type": "string"
                },
                "row": {
                  "type": "integer",
                  "minimum": 0
                },
                "givenLabel": {
                  "enum": [
                    0,
                    1
                  ]
                },
                "verdicts": {
                  "type": "array",
                  "items": {
                    "$ref": "#/$defs/verdict"
                  }
                },
                "probabilities": {
                  "type": "array",
                  "items": {
                    "$ref": "#/$defs/probability"
                  }
                },
                "score": {
                  "type": "number"
                },
                "rank": {
                  "type": "integer",
                  "minimum": 0
                },
                "reason": {
                  "type": "string"
                },
                "inAuditSample": {
                  "type": "boolean"
                },
                "imagePath": {
                  "type": "string"
                }
              },
              "required": [
                "id",
                "row",
                "givenLabel",
                "verdicts",
                "probabilities",
                "score",
                "rank",
                "reason",
                "inAuditSample"
              ],
              "description": "A train face; never a test face."
            },
            "noiseBin": {
              "type": "object",
              "additionalProperties": false,
              "properties": {
                "index": {
                  "type": "integer"
                },
                "firstRank": {
                  "type": "integer"
                },
                "lastRank": {
                  "type": "integer"
                },
                "scoreLow": {
                  "type": "number"
                },
                "scoreHigh": {
                  "type": "number"
                },
                "size": {
                  "type": "integer",
                  "minimum": 0
                },
                "reviewed": {
                  "type": "integer",
                  "minimum": 0
                },
                "wrong": {
                  "type": "number",
                  "minimum": 0
                },
                "sampledReviewed": {
                  "type": "integer",
                  "minimum": 0
                },
                "sampledWrong": {
                  "type": "number",
                  "minimum": 0
                },
                "basis": {
                  "enum": [
                    "census",
                    "queue_head",
                    "random_sample",
                    "queue",
                    "none"
                  ]
                },
                "share": {
                  "type": "number",
                  "minimum": 0,
                  "maximum": 1
                },
                "shareLow": {
                  "type": "number",
                  "minimum": 0,
                  "maximum": 1
                },
                "shareHigh": {
                  "type": "number",
                  "minimum": 0,
                  "maximum": 1
                }
              },
              "required": [
                "index",
                "firstRank",
                "lastRank",
                "scoreLow",
                "scoreHigh",
                "size",
                "reviewed",
                "wrong",
                "sampledReviewed",
                "sampledWrong",
                "basis",
                "share",
                "shareLow",
                "shareHigh"
              ]
            },
            "allocation": {
              "type": "object",
              "additionalProperties": false,
              "properties": {
                "bin": {
                  "type": "integer"
                },
                "reviews": {
                  "type": "integer",
                  "minimum": 0
                }
              },
              "required": [
                "bin",
                "reviews"
              ]
            },
            "noise": {
              "type": "object",
              "additionalProperties": false,
              "properties": {
                "status": {
                  "enum": [
                    "estimated",
                    "model_based",
                    "no_reviews"
                  ]
                },
                "sentence": {
                  "type": "string"
                },
                "method": {
                  "type": "string"
                },
                "trainRows": {
                  "type": "integer",
                  "minimum": 0
                },
                "share": {
                  "type": "number",
                  "minimum": 0,
                  "maximum": 1
                },
                "shareLow": {
                  "type": "number",
                  "minimum": 0,
                  "maximum": 1
                },
                "shareHigh": {
                  "type": "number",
                  "minimum": 0,
                  "maximum": 1
                },
                "wrongLabels": {
                  "type": "number",
                  "minimum": 0
                },
                "confirmedWrong": {
                  "type": "integer",
                  "minimum": 0
                },
                "lowerBoundShare": {
                  "type": "number",
                  "minimum": 0,
                  "maximum": 1
                },
                "modelBasedWrongLabels": {
                  "type": "number",
                  "minimum": 0
                },
                "modelBasedShare": {
                  "type": "number",
                  "minimum": 0
                },
                "modelBasedRuns": {
                  "type": "string"
                },
                "nextStep": {
                  "type": "string"
                },
                "sample": {
                  "$ref": "#/$defs/sampleSummary"
                },
                "stratifiedShare": {
                  "type": "number",
                  "minimum": 0,
                  "maximum": 1
                },
                "stratifiedShareLow": {
                  "type": "number",
                  "minimum": 0,
                  "maximum": 1
                },
                "stratifiedShareHigh": {
                  "type": "number",
                  "minimum": 0,
                  "maximum": 1
                },
                "bins": {
                  "type": "array",
                  "items": {
                    "$ref": "#/$defs/noiseBin"
                  }
                },
                "nextReviews": {
                  "type": "array",
                  "items": {
                    "$ref": "#/$defs/allocation"
                  }
                },
                "projectedHalfWidth": {
                  "type": "number",
                  "minimum": 0
                },
                "reviewsForOnePoint": {
                  "type": "integer",
                  "minimum": 0
                },
                "simulations": {
                  "type": "integer",
                  "minimum": 0
                },
                "seed": {
                  "type": "integer",
                  "minimum": 0
                }
              },
              "required": [
                "status",
                "sentence",
                "method",
                "trainRows",
                "confirmedWrong",
                "lowerBoundShare",
                "nextStep",
                "sample",
                "bins",
                "nextReviews",
                "simulations",
                "seed"
              ]
            },
            "permutationTest": {
              "type": "object",
              "additionalProperties": false,
              "properties": {
                "name": {
                  "enum": [
                    "nearest_other_error",
                    "errors_among_neighbours",
                    "nearest_neighbour_distance",
                    "boundary_distance"
                  ]
                },
                "description": {
                  "type": "string"
                },
                "errorsValue": {
                  "type": "number"
                },
                "randomValue": {
                  "type": "number"
                },
                "pValue": {
                  "type": "number",
                  "minimum": 0,
                  "maximum": 1
                },
                "permutations": {
                  "type": "integer",
                  "minimum": 0
                },
                "alternative": {
                  "enum": [
                    "less",
                    "greater",
                    "two-sided"
                  ]
                }
              },
              "required": [
                "name",
                "description",
                "errorsValue",
                "randomValue",
                "pValue",
                "permutations",
                "alternative"
              ]
            },
            "clustering": {
              "type": "object",
              "additionalProperties": false,
              "properties": {
                "status": {
                  "enum": [
                    "tested",
                    "too_few_errors"
                  ]
                },
                "confirmedErrors": {
                  "type": "integer",
                  "minimum": 0
                },
                "minimumErrors": {
                  "type": "integer",
                  "minimum": 0
                },
                "errorsFromAuditSample": {
                  "type": "integer",
                  "minimum": 0
                },
                "tests": {
                  "type": "array",
                  "items": {
                    "$ref": "#/$defs/permutationTest"
                  }
                },
                "directions": {
                  "$ref": "#/$defs/separatingDirection"
                },
                "sentence": {
                  "type": "string"
                }
              },
              "required": [
                "status",
                "confirmedErrors",
                "minimumErrors",
                "errorsFromAuditSample",
                "tests",
                "sentence"
              ]
            },
            "precisionPoint": {
              "type": "object",
              "additionalProperties": false,
              "properties": {
                "k": {
                  "type": "integer",
                  "minimum": 0
                },
                "reviewed": {
                  "type": "integer",
                  "minimum": 0
                },
                "wrong": {
                  "type": "integer",
                  "minimum": 0
                },
                "precision": {
                  "type": "number",
                  "minimum": 0,
                  "maximum": 1
                }
              },
              "required": [
                "k",
                "reviewed",
                "wrong"
              ]
            },
            "rankingPrecision": {
              "type": "object",
              "additionalProperties": false,
              "properties": {
                "ranking": {
                  "type": "string"
                },
                "points": {
                  "type": "array",
                  "items": {
                    "$ref": "#/$defs/precisionPoint"
                  }
                }
              },
              "required": [
                "ranking",
                "points"
              ]
            },
            "histogram": {
              "type": "object",
              "additionalProperties": false,
              "properties": {
                "edges": {
                  "type": "array",
                  "items": {
                    "type": "number"
                  }
                },
                "all": {
                  "type": "array",
                  "items": {
                    "type": "integer",
                    "minimum": 0
                  }
                },
                "confirmedErrors": {
                  "type": "array",
                  "items": {
                    "type": "integer",
                    "minimum": 0
                  }
                },
                "confirmedOK": {
                  "type": "array",
                  "items": {
                    "type": "integer",
                    "minimum": 0
                  }
                }
              },
              "required": [
                "edges",
                "all",
                "confirmedErrors",
                "confirmedOK"
              ]
            },
            "calibrationBin": {
              "type": "object",
              "additionalProperties": false,
              "properties": {
                "low": {
                  "type": "number",
                  "minimum": 0,
                  "maximum": 1
                },
                "high": {
                  "type": "number",
                  "minimum": 0,
                  "maximum": 1
                },
                "count": {
                  "type": "integer",
                  "minimum": 0
                },
                "meanPredicted": {
                  "type": "number",
                  "minimum": 0,
                  "maximum": 1
                },
                "providedRate": {
                  "type": "number",
                  "minimum": 0,
                  "maximum": 1
                },
                "correctedRate": {
                  "type": "number",
                  "minimum": 0,
                  "maximum": 1
                }
              },
              "required": [
                "low",
                "high",
                "count"
              ]
            },
            "calibration": {
              "type": "object",
              "additionalProperties": false,
              "properties": {
                "run": {
                  "type": "string"
                },
                "bins": {
                  "type": "array",
                  "items": {
                    "$ref": "#/$defs/calibrationBin"
                  }
                }
              },
              "required": [
                "run",
                "bins"
              ]
            },
            "sampleSummary": {
              "type": "object",
              "additionalProperties": false,
              "properties": {
                "draws": {
                  "type": "integer",
                  "minimum": 0
                },
                "weightedDraws": {
                  "type": "integer",
                  "minimum": 0
                },
                "faces": {
                  "type": "integer",
                  "minimum": 0
                },
                "reviewed": {
                  "type": "integer",
                  "minimum": 0
                },
                "calibrationA": {
                  "type": "number"
                },
                "calibrationB": {
                  "type": "number"
                },
                "calibrationReviews": {
                  "type": "integer",
                  "minimum": 0
                },
                "varianceFrom": {
                  "enum": [
                    "sample",
                    "model"
                  ]
                }
              },
              "required": [
                "draws",
                "weightedDraws",
                "faces",
                "reviewed",
                "calibrationA",
                "calibrationB",
                "calibrationReviews"
              ]
            },
            "interval": {
              "type": "object",
              "additionalProperties": false,
              "properties": {
                "estimate": {
                  "type": "number",
                  "minimum": 0
                },
                "low": {
                  "type": "number",
                  "minimum": 0
                },
                "high": {
                  "type": "number",
                  "minimum": 0
                }
              },
              "required": [
                "estimate"
              ]
            },
            "noiseDirection": {
              "type": "object",
              "additionalProperties": false,
              "properties": {
                "givenLabel": {
                  "enum": [
                    0,
                    1
                  ]
                },
                "faces": {
                  "type": "integer",
                  "minimum": 0
                },
                "confirmedWrong": {
                  "type": "integer",
                  "minimum": 0
                },
                "wrong": {
                  "$ref": "#/$defs/interval"
                }
              },
              "required": [
                "givenLabel",
                "faces",
                "confirmedWrong",
                "wrong"
              ]
            },
            "noiseMatrix": {
              "type": "object",
              "additionalProperties": false,
              "description": "Which way labels are wrong: P(label 0 | glasses) and P(label 1 | no glasses), the counts behind them, and the corrected prevalence.",
              "properties": {
                "basis": {
                  "enum": [
                    "audit_sample",
                    "model_based",
                    "none"
                  ]
                },
                "labelledZero": {
                  "$ref": "#/$defs/noiseDirection"
                },
                "labelledOne": {
                  "$ref": "#/$defs/noiseDirection"
                },
                "label0GivenGlasses": {
                  "$ref": "#/$defs/interval"
                },
                "label1GivenNoGlasses": {
                  "$ref": "#/$defs/interval"
                },
                "correctedPrevalence": {
                  "$ref": "#/$defs/interval"
                },
                "providedPrevalence": {
                  "type": "number",
                  "minimum": 0,
                  "maximum": 1
                },
                "sentence": {
                  "type": "string"
                }
              },
              "required": [
                "basis",
                "labelledZero",
                "labelledOne",
                "providedPrevalence",
                "sentence"
              ]
            },
            "separatingDirection": {
              "type": "object",
              "additionalProperties": false,
              "properties": {
                "description": {
                  "type": "string"
                },
                "separation": {
                  "type": "number"
                },
                "randomSeparation": {
                  "type": "number"
                },
                "pValue": {
                  "type": "number",
                  "minimum": 0,
                  "maximum": 1
                },
                "permutations": {
                  "type": "integer",
                  "minimum": 0
                }
              },
              "required": [
                "description",
                "separation",
                "randomSeparation",
                "pValue",
                "permutations"
              ]
            }
          }
        }
        """#
}
