"""psabill.sandbox"""
