"""Every field of the 2025.8 spec schemas is in what a plain HTTP client reads, null when unset.

The field lists are the ``json`` tags of the models generated from the official OpenAPI
document (``ai-connor/connectwise:model_company.go``, ``model_agreement.go``,
``model_addition.go``, ``model_catalog_item.go``, ``model_invoice.go``; API version 2025.8).
"""

from __future__ import annotations

import httpx
import pytest

COMPANY = """id identifier name status addressLine1 addressLine2 city state zip country phoneNumber
faxNumber website territory market accountNumber defaultContact dateAcquired sicCode parentCompany
annualRevenue creditLimit additionalDebt numberOfEmployees yearEstablished revenueYear
ownershipType timeZoneSetup leadSource leadFlag unsubscribeFlag calendar userDefinedField1
userDefinedField2 userDefinedField3 userDefinedField4 userDefinedField5 userDefinedField6
userDefinedField7 userDefinedField8 userDefinedField9 userDefinedField10 vendorIdentifier
taxIdentifier taxCode billingTerms invoiceTemplate pricingSchedule companyEntityType
billToCompany billingSite billingContact invoiceDeliveryMethod invoiceToEmailAddress
invoiceCCEmailAddress deletedFlag dateDeleted deletedBy mobileGuid facebookUrl twitterUrl
linkedInUrl currency territoryManager resellerIdentifier isVendorFlag types site integratorTags
_info customFields"""
AGREEMENT = """id name type company contact site subContractCompany subContractContact
parentAgreement customerPO location department restrictLocationFlag restrictDepartmentFlag
startDate endDate noEndingDateFlag opportunity cancelledFlag dateCancelled reasonCancelled sla
workOrder internalNotes applicationUnits applicationLimit applicationCycle
applicationUnlimitedFlag oneTimeFlag coverAgreementTime coverAgreementProduct
coverAgreementExpense coverSalesTax carryOverUnused allowOverruns expiredDays limit
expireWhenZero chargeToFirm employeeCompRate employeeCompNotExceed compHourlyRate
compLimitAmount billingCycle billOneTimeFlag billingTerms invoicingCycle billToCompany
billToContact billToSite billAmount taxable prorateFirstBill billStartDate taxCode
restrictDownPayment prorateFlag invoiceProratedAdditionsFlag invoiceDescription topComment
bottomComment workRole workType projectType invoiceTemplate billTime billExpenses billProducts
billableTimeInvoice billableExpenseInvoice billableProductInvoice currency periodType
autoInvoiceFlag nextInvoiceDate companyLocation shipToCompany shipToContact shipToSite
agreementStatus _info customFields"""
ADDITION = """id product quantity lessIncluded unitPrice unitCost billCustomer effectiveDate
cancelledDate taxableFlag serialNumber invoiceDescription purchaseItemFlag specialOrderFlag
agreementId description billedQuantity uom extPrice extCost sequenceNumber margin prorateCost
proratePrice extendedProrateCost extendedProratePrice prorateCurrentPeriodFlag opportunity
agreementStatus invoiceGrouping _info customFields"""
CATALOG_ITEM = """id identifier description inactiveFlag subcategory type productClass
serializedFlag serializedCostFlag phaseProductFlag unitOfMeasure minStockLevel price cost
priceAttribute taxableFlag dropShipFlag specialOrderFlag customerDescription manufacturer
manufacturerPartNumber vendor vendorSku notes integrationXRef sla entityType recurringFlag
recurringRevenue recurringCost recurringOneTimeFlag recurringBillCycle recurringCycleType
calculatedPriceFlag calculatedCostFlag category calculatedPrice calculatedCost billableOption
connectWiseID agreementType markupPercentage markupFlag autoUpdateUnitCostFlag
autoUpdateUnitPriceFlag _info customFields"""
INVOICE = """id invoiceNumber type status company billToCompany shipToCompany accountNumber
applyToType applyToId attention shipToAttention billingSite billingSiteAddressLine1
billingSiteAddressLine2 billingSiteCity billingSiteState billingSiteZip billingSiteCountry
shippingSite shippingSiteAddressLine1 shippingSiteAddressLine2 shippingSiteCity
shippingSiteState shippingSiteZip shippingSiteCountry billingTerms reference customerPO
templateSetupId invoiceTemplate emailTemplateId addToBatchEmailList date
restrictDownpaymentFlag locationId location departmentId department territoryId territory
topComment bottomComment taxableFlag taxCode internalNotes downpaymentPreviouslyTaxedFlag
serviceTotal overrideDownPaymentAmountFlag currency dueDate expenseTotal productTotal
previousProgressApplied serviceAdjustmentAmount agreementAmount downpaymentApplied subtotal
total remainingDownpayment salesTax adjustmentReason adjustedBy closedBy payments credits
balance specialInvoiceFlag billingSetupReference ticket project phase salesOrder agreement
glBatch unbatchedBatch _info customFields"""
SCHEMAS = {
    "company/companies": COMPANY,
    "finance/agreements": AGREEMENT,
    "finance/agreements/1500/additions": ADDITION,
    "procurement/catalog": CATALOG_ITEM,
    "finance/invoices": INVOICE,
}


@pytest.mark.parametrize("endpoint", sorted(SCHEMAS))
def test_every_spec_field_is_present_in_lists_and_records(
    client: httpx.Client, endpoint: str
) -> None:
    expected = set(SCHEMAS[endpoint].split())
    rows = client.get(endpoint).json()
    assert rows
    for row in rows:
        assert set(row) == expected, endpoint
    single = client.get(f"{endpoint}/{rows[0]['id']}").json()
    assert set(single) == expected


def test_unset_spec_fields_read_null_not_missing(client: httpx.Client) -> None:
    addition = client.get("finance/agreements/1500/additions").json()[0]
    assert addition["opportunity"] is None
    assert addition["customFields"] is None
    assert addition["prorateCost"] is None
    company = client.get("company/companies").json()[0]
    assert company["faxNumber"] is None
    assert company["userDefinedField10"] is None


def test_info_carries_last_updated_and_date_entered(client: httpx.Client) -> None:
    for endpoint in SCHEMAS:
        info = client.get(endpoint).json()[0]["_info"]
        assert {"lastUpdated", "updatedBy", "dateEntered", "enteredBy"} <= set(info)
        assert info["dateEntered"] == info["lastUpdated"] == "2024-12-01T09:00:00Z"


def test_an_update_moves_last_updated_but_not_date_entered(client: httpx.Client) -> None:
    url = "finance/agreements/1500/additions/9000"
    patched = client.patch(url, json=[{"op": "replace", "path": "quantity", "value": 43}])
    assert patched.status_code == 200
    replaced = client.put(url, json={"product": {"id": 700}, "billCustomer": "Billable"})
    assert replaced.status_code == 200
    for info in (patched.json()["_info"], replaced.json()["_info"]):
        assert info["dateEntered"] == "2024-12-01T09:00:00Z"
        assert info["lastUpdated"] == "2025-03-15T12:00:00Z"


def test_a_new_record_was_entered_when_it_was_created(client: httpx.Client) -> None:
    created = client.post(
        "finance/agreements/1500/additions",
        json={"product": {"id": 703}, "billCustomer": "Billable", "quantity": 1},
    )
    assert created.status_code == 201
    info = created.json()["_info"]
    assert info["dateEntered"] == info["lastUpdated"] == "2025-03-15T12:00:00Z"


def test_fields_projections_still_pick_only_what_is_asked(client: httpx.Client) -> None:
    fields = "id,product/identifier,quantity,_info/dateEntered"
    rows = client.get("finance/agreements/1500/additions", params={"fields": fields}).json()
    assert rows[0] == {
        "id": 9000,
        "product": {"identifier": "SOPHOS-IX-ADV"},
        "quantity": 42.0,
        "_info": {"dateEntered": "2024-12-01T09:00:00Z"},
    }


def test_the_product_reference_is_an_iv_item_reference(client: httpx.Client) -> None:
    product = client.get("finance/agreements/1500/additions/9000").json()["product"]
    assert set(product) == {"id", "identifier", "serializedFlag", "_info"}


def test_references_to_records_the_sandbox_lacks_are_not_found(client: httpx.Client) -> None:
    body = {"product": {"id": 700}, "billCustomer": "Billable", "opportunity": {"id": 5}}
    response = client.post("finance/agreements/1500/additions", json=body)
    assert response.status_code == 400
    issue = response.json()["errors"][0]
    assert (issue["code"], issue["field"]) == ("NotFound", "opportunity")


def test_dump_and_load_keep_date_entered(client: httpx.Client, admin: httpx.Client) -> None:
    url = "finance/agreements/1500/additions/9000"
    client.patch(url, json=[{"op": "replace", "path": "quantity", "value": 44}])
    state = admin.get("/__sandbox__/state").json()
    assert admin.put("/__sandbox__/state", json=state).status_code == 200
    client.patch(url, json=[{"op": "replace", "path": "quantity", "value": 45}])
    assert client.get(url).json()["_info"]["dateEntered"] == "2024-12-01T09:00:00Z"
    assert admin.get("/__sandbox__/state").json()["additions"][0]["_info"]["dateEntered"] == (
        "2024-12-01T09:00:00Z"
    )
