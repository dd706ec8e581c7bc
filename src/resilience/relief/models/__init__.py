from resilience.relief.models.purchases import GroupPurchase, PurchaseLine, PurchaseOrder
from resilience.relief.models.requests import DispatchBatch, NeedRequest, RequestEvent
from resilience.relief.models.supplies import (Distribution, Item, ReserveNorm, StockLot,
                                               StockMovement)
from resilience.relief.models.surveys import Survey, SurveyQuestion, SurveyResponse

__all__ = ["Distribution", "DispatchBatch", "GroupPurchase", "Item", "NeedRequest",
           "PurchaseLine", "PurchaseOrder", "RequestEvent", "ReserveNorm", "StockLot",
           "StockMovement", "Survey", "SurveyQuestion", "SurveyResponse"]
